# Consent receipt, English. The reference file: every other language has
# exactly these message ids (a unit test checks). Placeables ({ $org },
# { $date }…) are filled in by Chorus; keep them, in the place the sentence needs.

title = Your consent receipt
intro = This receipt records what you agreed with { $org } about your stories. Please keep it.
language-unavailable = This receipt is not available in the language of your consent conversation ({ $code }), so it is shown in English. Ask the team who works with you to explain it in your language.

## Status
status-label = This consent is
status-requested = requested (not given yet)
status-given = given
status-renewed = renewed
status-refused = refused
status-withdrawn = withdrawn
status-revoked = stopped by the organisation
status-expired = expired
status-invalidated = found not valid
status-unknown = unknown
not-in-force = It does not allow any use of your stories now.

## Scope and channels
scope-label = Which stories
scope-all = All of your stories
scope-one = One story (reference { $id })
channels-label = Where your story may be shown
channel-public-web = our website
channel-partner-sites = websites and apps of partner organisations
channel-mobile-app = our mobile app
channel-social-media = social media
channel-press = the press (newspapers, radio, television)
channel-print-exhibition = printed material and exhibitions
channel-research-archive = a research archive
partners-all = every partner organisation, now and in the future
partners-named = only these partner organisations: { $partners }
channel-name = name
channel-place = place
per-channel = Each place your story is shown follows the terms listed with it. If another of your consents also covers a story there, the more protective terms apply.

## How the person appears
identity-label = How you are named
identity-full-name = your full name
identity-first-name = your first name only
identity-pseudonym = a pseudonym (a made-up name)
identity-anonymous = no name at all (anonymous)
faces-label = Your face in photos and videos
faces-shown = shown
faces-obscured = hidden (covered by a solid box)
faces-not-depicted = not in any picture
voice-label = Your voice
voice-original = your own voice
voice-altered = a changed voice
voice-text-only = written text only
location-label = Where you are, as shown
location-none = not shown
location-country = the country only
location-region = the country and region
location-city = the country, region and city

## Sensitive information (GDPR Art. 9)
sensitive-label = Sensitive information the story reveals
category-ethnic-origin = ethnic origin
category-political-opinion = political opinions
category-religion-or-belief = religion or beliefs
category-trade-union = trade union membership
category-genetic = genetic data
category-biometric = biometric data
category-health = health
category-sex-life-or-orientation = sex life or sexual orientation
none = none

## Processing operations
operations-label = What may be done with your story
operations-not-recorded = Not recorded when this consent was taken. Ask the team who works with you.
operation-collect = collect it (an interview, a form, an upload)
operation-record = record your voice or video
operation-store = keep it, with its photos and recordings
operation-transcribe = write down what you said
operation-translate = translate it into other languages
operation-edit = edit it for publication (shorten, correct, hide faces)
operation-publish = publish it in the places listed above
operation-share-with-partners = give it to the partner organisations listed above
operation-archive = keep it in an archive after publication

## Dates, witness, law
given-label = Agreed on
until-label = Valid until
until-text = This consent ends on { $date } unless you renew it. It ends sooner if you withdraw it.
minor-label = For a young person
minor-text = Your guardian agreed, and you gave your own agreement too.
witness-label = Witness
witness-name = { $witness } (name)
witness-role = { $witness } (role)
witness-none = no witness recorded
jurisdiction-label = Law that applies
notice-label = Version of the consent notice

## Data controller
controller-heading = Who is responsible for your data
controller-name-label = Data controller
controller-address-label = Address
controller-contact-label = Contact
controller-dpo-label = Data protection officer
not-configured = not configured by the organisation
controller-unnamed = the organisation

## Withdrawal and the receipt itself
withdraw-heading = How to withdraw
withdraw-text = You can take back your consent at any time, free of charge, without giving a reason. Use your withdrawal code, as given to you when this consent was recorded (it is not printed on this copy because { $org } does not keep it), or tell the team who works with you. Your stories then leave our website at once, and partners are told to take them down.
about-heading = About this receipt
receipt-id-label = Receipt number
hash-label = Fingerprint (SHA-256)
hash-text = The fingerprint of the digital version of this receipt. Any change to the receipt changes its fingerprint.
