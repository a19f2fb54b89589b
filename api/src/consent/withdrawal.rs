//! Personal withdrawal codes: withdrawing consent must be as easy as giving it,
//! with no account. Each storyteller holds one code at a time, handed over when a
//! consent is recorded; only its SHA-256 is stored (it is long and random, so a
//! fast hash is enough). Wrong guesses are counted per client address, apart
//! from staff logins; a valid code always works (see `withdraw_with_code`).

use chrono::{DateTime, Utc};
use entity::{
    consent_event::Via,
    consent_record::{self, IndicatedBy},
    withdrawal_code,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    gate::USABLE,
    records::{self, Decision},
};
use crate::{
    audit::Actor,
    auth::{random_bytes, rate_limit, sha256_hex},
    config::Config,
    error::{Error, Result},
};

/// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand
/// survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 25 symbols of 5 bits: 125 bits of entropy.
const SYMBOLS: usize = 25;

/// Issues a new code for the storyteller, retiring any earlier one; returns it
/// (the only time it exists outside the person's hands).
pub async fn issue(
    txn: &impl ConnectionTrait,
    storyteller_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String> {
    retire_all(txn, storyteller_id, now).await?;
    let bytes = random_bytes(SYMBOLS);
    let raw: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    withdrawal_code::ActiveModel {
        id: Set(Uuid::now_v7()),
        storyteller_id: Set(storyteller_id),
        code_hash: Set(hash(&raw)),
        created_at: Set(now),
        retired_at: Set(None),
    }
    .insert(txn)
    .await?;
    // Groups of five, as printed on the receipt.
    Ok(raw
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Withdraws every current consent of the code's holder (no account needed). A
/// wrong, replaced or used code changes nothing and says nothing about whether it
/// ever existed; too many wrong codes from one address are `RATE_LIMITED`, but a
/// valid code is honoured whatever the address did before.
pub async fn withdraw_with_code(
    db: &DatabaseConnection,
    config: &Config,
    code: &str,
    client_address: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let txn = crate::db::begin_write(db).await?;
    let found = match normalise(code) {
        Some(normalised) => {
            withdrawal_code::Entity::find()
                .filter(withdrawal_code::Column::CodeHash.eq(hash(&normalised)))
                .filter(withdrawal_code::Column::RetiredAt.is_null())
                .one(&txn)
                .await?
        }
        None => None,
    };
    // A valid code is always honoured, even from an address that has used up its
    // wrong guesses: at 125 bits, guessing one is hopeless whatever the limit, and a
    // limit that blocked the right code would let anyone on a shared address (a
    // centre's Wi-Fi) keep the storyteller from withdrawing. The limit decides
    // what a wrong code is answered, counted race-free by `rate_limit::reserve`.
    let Some(found) = found else {
        txn.rollback().await?;
        let limits = rate_limit::Limits {
            window: config.auth.login_window,
            per_account: None,
            per_address: config.consent.withdrawal_max_failures_per_address,
        };
        rate_limit::reserve(
            db,
            rate_limit::Purpose::WithdrawalCode,
            limits,
            None,
            client_address,
            now,
        )
        .await?;
        return Err(Error::NotFound("this withdrawal code is not valid".into()));
    };
    let current = current_usable(&txn, found.storyteller_id).await?;
    let decision = Decision {
        indicated_by: IndicatedBy::Storyteller,
        via: Via::WithdrawalCode,
    };
    for record in &current {
        records::end_record(
            &txn,
            record,
            consent_record::Status::Withdrawn,
            decision,
            Actor::Worker,
            records::Consequences::TakeDown,
            now,
        )
        .await?;
    }
    retire_all(&txn, found.storyteller_id, now).await?;
    txn.commit().await?;
    Ok(current.len())
}

/// The person's records that nothing supersedes and that allow use (expired or
/// not: withdrawing an expired consent still records the person's wish).
pub(crate) async fn current_usable(
    db: &impl ConnectionTrait,
    storyteller_id: Uuid,
) -> Result<Vec<consent_record::Model>> {
    Ok(records::current_of(db, storyteller_id)
        .await?
        .into_iter()
        .filter(|r| USABLE.contains(&r.status))
        .collect())
}

async fn retire_all(
    db: &impl ConnectionTrait,
    storyteller_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    withdrawal_code::Entity::update_many()
        .col_expr(withdrawal_code::Column::RetiredAt, Expr::value(now))
        .filter(withdrawal_code::Column::StorytellerId.eq(storyteller_id))
        .filter(withdrawal_code::Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Upper case, separators dropped, and the letters people confuse with digits
/// read as those digits; `None` when it cannot be a code.
fn normalise(code: &str) -> Option<String> {
    let out: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (out.len() == SYMBOLS && out.bytes().all(|b| ALPHABET.contains(&b))).then_some(out)
}

fn hash(normalised: &str) -> String {
    sha256_hex(normalised.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_survive_being_read_aloud_and_retyped() {
        assert_eq!(
            normalise("abcde-fghjk-mnpqr-stvwx-yz01o"),
            Some("ABCDEFGHJKMNPQRSTVWXYZ010".into())
        );
        assert_eq!(
            normalise("ABCDE FGHJK MNPQR STVWX YZ01I").as_deref(),
            Some("ABCDEFGHJKMNPQRSTVWXYZ011")
        );
        assert_eq!(normalise("too-short"), None);
        assert_eq!(
            normalise("ABCDE-FGHJK-MNPQR-STVWX-YZ01U"),
            None,
            "U is not a symbol"
        );
    }
}
