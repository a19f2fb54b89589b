//! Accessible recordings over real HTTP, on SQLite + local disk and on
//! PostgreSQL + S3: a story's recordings need a transcript and its videos
//! captions before approval; caption tracks are validated and cleaned of
//! everything but their cues; readers get the words through the same gate as
//! the recording, and under a `TEXT_ONLY` voice the words without the sound.

use api::{
    auth::{Principal, Role},
    clock,
    media::{intake::Owner, strip::fixtures as media_fixtures},
    stories::workflow,
};
use entity::{
    api_key::Channel,
    consent_record::Voice,
    media_asset,
    story::{self, Faces},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures,
    helpers::{GqlResponse, TestApp, spawn_media_app},
};

const SET_TRANSCRIPT: &str = "mutation($id: ID!, $language: String!, $text: String) {
  setMediaTranscript(mediaId: $id, language: $language, text: $text) { id transcripts { language text } }
}";

const SET_CAPTIONS: &str = "mutation($id: ID!, $language: String!, $vtt: String) {
  setMediaCaptions(mediaId: $id, language: $language, vtt: $vtt) { id captions { language vtt } }
}";

const APPROVE: &str = "mutation($id: ID!) { approveStory(id: $id) { state } }";

/// What a reader asks of a story's recordings.
const READ: &str = "query($s: String!) {
  story(slug: $s) {
    media { id kind sources { variant } transcripts { language text } captions { language vtt } }
    recordingTexts { mediaId kind transcripts { language text } captions { language vtt } }
  }
}";

/// A track with everything that must not reach a reader.
const MESSY_VTT: &str = "WEBVTT - Interview with Amina Yusuf, Leeds\r\n\
Kind: captions\r\n\r\n\
NOTE Amina lives at 14 Elm Street\r\n\r\n\
STYLE\r\n::cue(v[voice=\"Amina Yusuf\"]) { color: yellow }\r\n\r\n\
amina-1\r\n00:00:01.000 --> 00:00:04.000 align:start\r\n<v Amina Yusuf>I came by <i>sea</i>.</v>\r\n\r\n\
00:04.000 --> 00:06.500\r\n<v.quiet Brother Karim>And I</v> followed.\r\n";

const CLEAN_VTT: &str = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nI came by sea.\n\n00:00:04.000 --> 00:00:06.500\nAnd I followed.\n";

/// An app with an editor (signed in over HTTP too), an author, a partner
/// site's key and a mobile app's key.
struct World {
    app: TestApp,
    editor: Principal,
    author: Principal,
    token: String,
    partner_key: String,
    app_key: String,
}

impl World {
    async fn new() -> Self {
        Self::with(&[]).await
    }

    async fn with(overrides: &[(&str, &str)]) -> Self {
        let app = spawn_media_app(overrides).await;
        let admin = fixtures::staff(&app.db, "admin@chorus.test", Role::Admin).await;
        let editor = fixtures::staff(&app.db, "editor@chorus.test", Role::Editor).await;
        let author = fixtures::staff(&app.db, "author@chorus.test", Role::Contributor).await;
        let token = app.token_for("chief@chorus.test", Role::Editor).await;
        let partner = fixtures::partner(&app.db, &admin, "migrants-org").await;
        let (_, partner_key) =
            fixtures::api_key(&app.db, &admin, Channel::PartnerSites, Some(partner)).await;
        let (_, app_key) = fixtures::api_key(&app.db, &admin, Channel::MobileApp, None).await;
        Self {
            app,
            editor,
            author,
            token,
            partner_key,
            app_key,
        }
    }

    /// A storyteller whose one consent grants `PARTNER_SITES` (every partner)
    /// with faces shown and this voice term.
    async fn teller(&self, voice: Voice) -> Uuid {
        let mut terms = fixtures::terms(&[Channel::PartnerSites]);
        terms.faces = Faces::Shown;
        terms.voice = voice;
        let (teller, _) =
            fixtures::teller_with(&self.app.db, &self.app.state.crypto, &self.editor, terms).await;
        teller.id
    }

    /// A submitted, signed-off draft about `teller` with a recording and a video.
    async fn submitted(&self, teller: Uuid) -> (story::Model, Uuid, Uuid) {
        let draft = fixtures::draft(&self.app.db, &self.author, teller, "Across the sea").await;
        let audio = self.add(draft.id, &fixtures::mp3()).await;
        let video = self
            .add(draft.id, &media_fixtures::mp4_with_metadata(b"vide"))
            .await;
        assert_eq!(
            (audio.kind, video.kind),
            (media_asset::Kind::Audio, media_asset::Kind::Video)
        );
        // Nobody's face can be seen in it (Chorus cannot mask video).
        self.staff(
            "mutation($id: ID!) { updateMedia(id: $id, input: { showsFaces: false }) { id } }",
            json!({ "id": video.id }),
        )
        .await
        .data();
        let story = workflow::submit(&self.app.db, &self.author, draft.id, None, clock::now())
            .await
            .expect("submitted");
        fixtures::sign_off(&self.app.db, &self.author, &story).await;
        (story, audio.id, video.id)
    }

    async fn add(&self, story_id: Uuid, bytes: &[u8]) -> media_asset::Model {
        fixtures::ingest(&self.app, &self.editor, Owner::Story(story_id), bytes).await
    }

    async fn staff(&self, query: &str, variables: Value) -> GqlResponse {
        self.app.gql(Some(&self.token), query, variables).await
    }

    async fn transcript(&self, id: Uuid, text: &str) -> GqlResponse {
        self.staff(
            SET_TRANSCRIPT,
            json!({ "id": id, "language": "en", "text": text }),
        )
        .await
    }

    async fn captions(&self, id: Uuid, vtt: &str) -> GqlResponse {
        self.staff(
            SET_CAPTIONS,
            json!({ "id": id, "language": "en", "vtt": vtt }),
        )
        .await
    }

    /// A published story about a storyteller with this voice term, its
    /// recording transcribed and its video captioned: the story's slug and
    /// the two items.
    async fn published(&self, voice: Voice) -> (String, Uuid, Uuid) {
        let teller = self.teller(voice).await;
        let (story, audio, video) = self.submitted(teller).await;
        self.transcript(audio, "I came by sea.").await.data();
        self.captions(video, MESSY_VTT).await.data();
        assert_eq!(
            self.staff(APPROVE, json!({ "id": story.id })).await.data()["approveStory"]["state"],
            "APPROVED"
        );
        let story = fixtures::publish_now(&self.app.db, &self.editor, story.id).await;
        (story.slug, audio, video)
    }

    async fn read(&self, key: &str, slug: &str) -> Value {
        self.app
            .consume(key, READ, json!({ "s": slug }))
            .await
            .data()["story"]
            .clone()
    }

    /// The statements one read by the partner key costs.
    async fn cost(&self, query: &str) -> u64 {
        let before = self.app.state.statements.get();
        self.app
            .consume(&self.partner_key, query, json!({}))
            .await
            .data();
        self.app.state.statements.get() - before
    }
}

/// The `mediaId`s of a story's `recordingTexts`.
fn texts_of(story: &Value) -> Vec<&str> {
    story["recordingTexts"]
        .as_array()
        .expect("recordingTexts")
        .iter()
        .map(|t| t["mediaId"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn approval_waits_for_a_transcript_of_each_recording_and_captions_of_each_video() {
    let w = World::new().await;
    let teller = w.teller(Voice::Original).await;
    let (story, audio, video) = w.submitted(teller).await;
    let approve = || w.staff(APPROVE, json!({ "id": story.id }));

    let refused = approve().await;
    assert_eq!(refused.code(), "INVALID_TRANSITION");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["reason"],
        "TRANSCRIPT_MISSING"
    );
    assert!(
        refused.message().contains(&audio.to_string()),
        "{:?}",
        refused.body
    );

    // A video's captions do not stand in for a recording's transcript, nor
    // the other way round.
    w.captions(video, CLEAN_VTT).await.data();
    w.captions(audio, CLEAN_VTT).await.data();
    assert_eq!(
        approve().await.body["errors"][0]["extensions"]["reason"],
        "TRANSCRIPT_MISSING"
    );
    assert_eq!(w.captions(video, "").await.code(), "BAD_USER_INPUT");
    w.transcript(audio, "  I came by sea.  ").await.data();
    w.staff(
        SET_CAPTIONS,
        json!({ "id": video, "language": "en", "vtt": null }),
    )
    .await
    .data();
    let refused = approve().await;
    assert_eq!(
        refused.body["errors"][0]["extensions"]["reason"],
        "CAPTIONS_MISSING"
    );
    assert!(
        refused.message().contains(&video.to_string()),
        "{:?}",
        refused.body
    );

    w.captions(video, CLEAN_VTT).await.data();
    assert_eq!(approve().await.data()["approveStory"]["state"], "APPROVED");
    let item = w
        .staff(
            "query($id: ID!) { mediaAsset(id: $id) { transcripts { language text } } }",
            json!({ "id": audio }),
        )
        .await;
    assert_eq!(
        item.data()["mediaAsset"]["transcripts"],
        json!([{ "language": "en", "text": "I came by sea." }])
    );
}

#[tokio::test]
async fn invalid_captions_are_refused_and_nothing_is_stored() {
    let w = World::new().await;
    let teller = w.teller(Voice::Original).await;
    let (story, audio, video) = w.submitted(teller).await;
    let picture = w.add(story.id, &media_fixtures::png_with_metadata()).await;

    for (vtt, says) in [
        ("1\n00:00:01,000 --> 00:00:02,000\nAn SRT file\n", "WEBVTT"),
        ("WEBVTT\n\nNOTE nothing but a note\n", "no cues"),
        (
            "WEBVTT\n\n00:01.000 --> 00:01.000\nNo time at all\n",
            "line 3",
        ),
        ("WEBVTT\n\n00:01.000 --> 00:02\nCut short\n", "line 3"),
        (
            "WEBVTT\n\n00:05.000 --> 00:06.000\nLater\n\n00:01.000 --> 00:02.000\nEarlier\n",
            "line 6",
        ),
    ] {
        let res = w.captions(video, vtt).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{vtt:?}");
        assert!(res.message().contains(says), "{vtt:?}: {}", res.message());
    }
    let huge = format!(
        "{CLEAN_VTT}\n{}",
        "00:09.000 --> 00:10.000\nla\n\n".repeat(20_000)
    );
    assert_eq!(w.captions(video, &huge).await.code(), "BAD_USER_INPUT");
    for (query, variables) in [
        (
            SET_TRANSCRIPT,
            json!({ "id": audio, "language": "en", "text": "   " }),
        ),
        (
            SET_TRANSCRIPT,
            json!({ "id": audio, "language": "English", "text": "Words" }),
        ),
        (
            SET_TRANSCRIPT,
            json!({ "id": picture.id, "language": "en", "text": "Words" }),
        ),
        (
            SET_CAPTIONS,
            json!({ "id": picture.id, "language": "en", "vtt": CLEAN_VTT }),
        ),
    ] {
        let res = w.staff(query, variables.clone()).await;
        assert_eq!(res.code(), "BAD_USER_INPUT", "{variables}");
    }
    // A contributor may not set them.
    let contributor = w
        .app
        .token_for("writer@chorus.test", Role::Contributor)
        .await;
    let res = w
        .app
        .gql(
            Some(&contributor),
            SET_TRANSCRIPT,
            json!({ "id": audio, "language": "en", "text": "Words" }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");

    let stored = w
        .staff(
            "query($a: ID!, $v: ID!) {
               a: mediaAsset(id: $a) { transcripts { text } captions { vtt } }
               v: mediaAsset(id: $v) { transcripts { text } captions { vtt } }
             }",
            json!({ "a": audio, "v": video }),
        )
        .await;
    assert_eq!(
        stored.data(),
        &json!({
            "a": { "transcripts": [], "captions": [] },
            "v": { "transcripts": [], "captions": [] },
        })
    );
}

#[tokio::test]
async fn caption_tracks_keep_only_their_cues_without_names_notes_or_styles() {
    let w = World::new().await;
    let teller = w.teller(Voice::Original).await;
    let (_, _, video) = w.submitted(teller).await;
    let res = w.captions(video, MESSY_VTT).await;
    assert_eq!(
        res.data()["setMediaCaptions"]["captions"],
        json!([{ "language": "en", "vtt": CLEAN_VTT }])
    );
    let stored = res.data()["setMediaCaptions"]["captions"][0]["vtt"]
        .as_str()
        .expect("vtt");
    for gone in [
        "Amina",
        "Karim",
        "Elm Street",
        "Leeds",
        "NOTE",
        "STYLE",
        "amina-1",
        "align",
        "<",
    ] {
        assert!(!stored.contains(gone), "{gone} left in {stored}");
    }
    // Sending a track again in the same language replaces it.
    let res = w
        .captions(video, "WEBVTT\n\n00:00.500 --> 00:01.000\nAgain\n")
        .await;
    assert_eq!(
        res.data()["setMediaCaptions"]["captions"],
        json!([{ "language": "en", "vtt": "WEBVTT\n\n00:00:00.500 --> 00:00:01.000\nAgain\n" }])
    );
}

#[tokio::test]
async fn readers_get_the_words_only_with_the_voice_unless_it_was_agreed_as_text() {
    let w = World::new().await;

    // The voice may be heard: the recordings come with their words.
    let (heard, audio, video) = w.published(Voice::Original).await;
    let story = w.read(&w.partner_key, &heard).await;
    let media = story["media"].as_array().expect("media");
    assert_eq!(media.len(), 2, "{story}");
    assert_eq!(media[0]["id"], audio.to_string());
    assert_eq!(
        media[0]["transcripts"],
        json!([{ "language": "en", "text": "I came by sea." }])
    );
    assert_eq!(media[0]["captions"], json!([]));
    assert_eq!(media[1]["id"], video.to_string());
    assert_eq!(
        media[1]["captions"],
        json!([{ "language": "en", "vtt": CLEAN_VTT }])
    );
    assert_eq!(texts_of(&story), [audio.to_string(), video.to_string()]);

    // An altered voice (which Chorus cannot make) holds the recordings back,
    // and their words with them.
    let (altered, _, _) = w.published(Voice::Altered).await;
    let story = w.read(&w.partner_key, &altered).await;
    assert_eq!(story["media"], json!([]));
    assert_eq!(story["recordingTexts"], json!([]));

    // Words agreed as text only: the words, never the sound.
    let (text_only, audio, video) = w.published(Voice::TextOnly).await;
    let story = w.read(&w.partner_key, &text_only).await;
    assert_eq!(story["media"], json!([]));
    assert_eq!(texts_of(&story), [audio.to_string(), video.to_string()]);
    assert_eq!(story["recordingTexts"][0]["kind"], "AUDIO");
    assert_eq!(
        story["recordingTexts"][0]["transcripts"],
        json!([{ "language": "en", "text": "I came by sea." }])
    );
    assert_eq!(
        story["recordingTexts"][1]["captions"],
        json!([{ "language": "en", "vtt": CLEAN_VTT }])
    );

    // A channel the consent does not cover sees none of it.
    for slug in [&heard, &altered, &text_only] {
        assert!(w.read(&w.app_key, slug).await.is_null());
    }

    // A list of stories gets the same words, read for the whole page at once.
    let res = w
        .app
        .consume(
            &w.partner_key,
            "{ stories(first: 10) { nodes { slug
               media { transcripts { text } captions { language } }
               recordingTexts { kind transcripts { text } } } } }",
            json!({}),
        )
        .await;
    let nodes = res.data()["stories"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let by_slug = |slug: &str| {
        nodes
            .iter()
            .find(|n| n["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} in {nodes:?}"))
            .clone()
    };
    let heard = by_slug(&heard);
    assert_eq!(
        heard["media"][0]["transcripts"],
        json!([{ "text": "I came by sea." }])
    );
    assert_eq!(heard["media"][1]["captions"], json!([{ "language": "en" }]));
    assert_eq!(by_slug(&altered)["recordingTexts"], json!([]));
    assert_eq!(
        by_slug(&text_only)["recordingTexts"],
        json!([
            { "kind": "AUDIO", "transcripts": [{ "text": "I came by sea." }] },
            { "kind": "VIDEO", "transcripts": [] },
        ])
    );
}

#[tokio::test]
async fn a_page_reads_its_stories_words_in_two_statements_whatever_its_size() {
    // Nothing else touches the database while statements are counted.
    let w = World::with(&[
        ("CHORUS_JOBS_ENABLED", "false"),
        ("CHORUS_RESPONSE_CACHE_BYTES", "0"),
    ])
    .await;
    for voice in [Voice::Original, Voice::TextOnly, Voice::Original] {
        w.published(voice).await;
    }
    w.app
        .state
        .origins
        .reload(&w.app.db)
        .await
        .expect("origins");
    let list = |n: usize, words: bool| {
        let words = if words {
            "transcripts { text } captions { vtt } } recordingTexts { mediaId transcripts { text } }"
        } else {
            "}"
        };
        format!("{{ stories(first: {n}) {{ nodes {{ slug media {{ id {words} }} }} }}")
    };
    // The key's first read of each story is written once; count later reads.
    w.cost(&list(10, true)).await;
    let mut extra = Vec::new();
    for n in [1, 3] {
        let plain = w.cost(&list(n, false)).await;
        let worded = w.cost(&list(n, true)).await;
        extra.push(worded - plain);
    }
    assert_eq!(extra, [2, 2], "the recordings, then their texts");
}

#[tokio::test]
async fn a_cached_answer_never_keeps_words_an_editor_changed() {
    // The response cache on (the default), as a site reads.
    let world = World::new().await;
    let (slug, audio, _) = world.published(Voice::Original).await;
    let words = |story: &Value| story["media"][0]["transcripts"][0]["text"].clone();
    let first = world.read(&world.partner_key, &slug).await;
    assert_eq!(words(&first), "I came by sea.", "{first}");
    assert_eq!(world.read(&world.partner_key, &slug).await, first, "kept");

    world.transcript(audio, "I came by boat.").await.data();
    let after = world.read(&world.partner_key, &slug).await;
    assert_eq!(words(&after), "I came by boat.", "{after}");
}
