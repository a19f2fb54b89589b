//! Reading the one EXIF field worth keeping the effect of: Orientation.
//!
//! Cameras store pictures as the sensor saw them and say in tag 0x0112 how to
//! turn them. Once the EXIF block is dropped, that instruction is gone, so it
//! is read first and applied to the pixels. Hand-written and small on
//! purpose: it reads only IFD0 and treats anything odd as "upright".

/// The value meaning "already upright".
pub(super) const UPRIGHT: u8 = 1;

const ORIENTATION_TAG: u16 = 0x0112;
const TYPE_SHORT: u16 = 3;
const ENTRY_LEN: usize = 12;

/// The EXIF orientation (1–8) in a TIFF structure (the EXIF payload after
/// `Exif\0\0`), or [`UPRIGHT`] when it is absent, malformed or out of range.
pub(super) fn orientation(tiff: &[u8]) -> u8 {
    read_orientation(tiff)
        .and_then(|value| u8::try_from(value).ok())
        .filter(|value| (1..=8).contains(value))
        .unwrap_or(UPRIGHT)
}

fn read_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(..4)? {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let u16_at = |offset: usize| -> Option<u16> {
        let bytes: [u8; 2] = tiff.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        })
    };
    let u32_at = |offset: usize| -> Option<u32> {
        let bytes: [u8; 4] = tiff.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    };

    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd0)?);
    for index in 0..entries {
        // Any entry outside the data ends the search: the count was a lie.
        let entry = ifd0
            .checked_add(2)?
            .checked_add(index.checked_mul(ENTRY_LEN)?)?;
        if u16_at(entry)? != ORIENTATION_TAG {
            continue;
        }
        if u16_at(entry + 2)? != TYPE_SHORT {
            return None;
        }
        // A single SHORT sits left-justified in the 4-byte value field.
        return u16_at(entry + 8);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TIFF header and an IFD0 holding `entries` as (tag, type, value).
    fn tiff(big_endian: bool, entries: &[(u16, u16, u16)]) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut b = if big_endian {
            b"MM\0*".to_vec()
        } else {
            b"II*\0".to_vec()
        };
        b.extend_from_slice(&u32b(8));
        b.extend_from_slice(&u16b(entries.len() as u16));
        for &(tag, ty, value) in entries {
            b.extend_from_slice(&u16b(tag));
            b.extend_from_slice(&u16b(ty));
            b.extend_from_slice(&u32b(1));
            b.extend_from_slice(&u16b(value));
            b.extend_from_slice(&[0, 0]);
        }
        b.extend_from_slice(&u32b(0));
        b
    }

    #[test]
    fn reads_orientation_in_either_byte_order() {
        let entries = [(0x010F, 2, 0), (0x0112, TYPE_SHORT, 6), (0x8825, 4, 0)];
        assert_eq!(orientation(&tiff(false, &entries)), 6);
        assert_eq!(orientation(&tiff(true, &entries)), 6);
        assert_eq!(orientation(&tiff(true, &[(0x0112, TYPE_SHORT, 8)])), 8);
    }

    #[test]
    fn missing_or_odd_orientation_means_upright() {
        assert_eq!(orientation(&tiff(false, &[(0x010F, 2, 0)])), UPRIGHT);
        assert_eq!(
            orientation(&tiff(false, &[(0x0112, TYPE_SHORT, 0)])),
            UPRIGHT
        );
        assert_eq!(
            orientation(&tiff(false, &[(0x0112, TYPE_SHORT, 9)])),
            UPRIGHT
        );
        assert_eq!(orientation(&tiff(false, &[(0x0112, 4, 6)])), UPRIGHT);
    }

    #[test]
    fn malformed_tiff_means_upright_not_a_panic() {
        let good = tiff(true, &[(0x0112, TYPE_SHORT, 6)]);
        for len in 0..good.len() - 4 {
            assert!((1..=8).contains(&orientation(&good[..len])));
        }
        assert_eq!(orientation(b"XX*\0\0\0\0\x08"), UPRIGHT);
        // IFD0 offset far past the end, and an entry count far past the end.
        assert_eq!(orientation(b"MM\0*\xFF\xFF\xFF\xF0"), UPRIGHT);
        assert_eq!(orientation(b"MM\0*\0\0\0\x08\xFF\xFF"), UPRIGHT);
    }
}
