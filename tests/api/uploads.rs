//! Uploads through `/graphql` as GraphQL multipart requests: what is stored is
//! stripped, and every refusal (wrong format, too big, too many, cross-site, API
//! key, wrong role) leaves neither an object nor a row behind.

use api::{
    auth::Role,
    clock,
    consumers::{self, NewKey},
    media::strip::fixtures,
};
use entity::{api_key::Channel, media_asset};
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    fixtures::{self as domain, Person},
    helpers::{GqlResponse, TestApp, spawn_app, spawn_app_with},
    storage::read_all,
};

const ADD_STORY_MEDIA: &str = "mutation($storyId: ID!, $file: Upload!) {
  addStoryMedia(storyId: $storyId, file: $file) {
    id storyId kind mime sizeBytes sha256 width height private metadataStatus showsFaces
  }
}";

const ADD_CONSENT_EVIDENCE: &str = "mutation($storytellerId: ID!, $file: Upload!) {
  addConsentEvidence(storytellerId: $storytellerId, file: $file) { id private }
}";

/// A storyteller and a draft story about them, written by a contributor.
pub(crate) async fn story(app: &TestApp) -> (Uuid, Uuid) {
    let author = domain::staff(&app.db, "author@chorus.test", Role::Contributor).await;
    let teller =
        domain::storyteller(&app.db, &app.state.crypto, &author, Person::Adult, "Legal").await;
    let story = domain::draft(&app.db, &author, teller.id, "With photos").await;
    (teller.id, story.id)
}

/// A multipart form for `query` with every one of `files` mapped to `variables.file`.
pub(crate) fn form(query: &str, mut variables: Value, files: Vec<(&str, Vec<u8>)>) -> Form {
    // The spec's placeholder, which the server replaces with the file.
    variables["file"] = Value::Null;
    let mut map = serde_json::Map::new();
    for (i, _) in files.iter().enumerate() {
        map.insert(i.to_string(), json!(["variables.file"]));
    }
    let mut form = Form::new()
        .text(
            "operations",
            json!({ "query": query, "variables": variables }).to_string(),
        )
        .text("map", Value::Object(map).to_string());
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        form = form.part(i.to_string(), Part::bytes(bytes).file_name(name.to_owned()));
    }
    form
}

/// Sends a multipart request with the given headers.
pub(crate) async fn send(app: &TestApp, headers: &[(&str, &str)], form: Form) -> GqlResponse {
    let mut req = app.client.post(app.url("/graphql")).multipart(form);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    GqlResponse::read(req.send().await.expect("request sent")).await
}

/// Sends `files` to `addStoryMedia` for `story_id` as the holder of `token`.
pub async fn upload(
    app: &TestApp,
    token: &str,
    story_id: Uuid,
    files: Vec<(&str, Vec<u8>)>,
) -> GqlResponse {
    let bearer = format!("Bearer {token}");
    send(
        app,
        &[("authorization", &bearer)],
        form(
            ADD_STORY_MEDIA,
            json!({ "storyId": story_id.to_string() }),
            files,
        ),
    )
    .await
}

pub(crate) async fn nothing_stored(app: &TestApp) {
    assert_eq!(media_asset::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(
        app.state.storage.list("").await.unwrap().is_empty(),
        "storage holds nothing"
    );
}

#[tokio::test]
async fn an_uploaded_photo_is_stored_without_its_metadata() {
    let app = spawn_app().await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = story(&app).await;

    let res = upload(
        &app,
        &token,
        story_id,
        vec![("IMG_0001.jpg", fixtures::jpeg_with_metadata(6))],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let asset = &res.data()["addStoryMedia"];
    assert_eq!(asset["storyId"], story_id.to_string());
    assert_eq!(asset["kind"], "IMAGE");
    assert_eq!(asset["mime"], "image/jpeg");
    assert_eq!(asset["metadataStatus"], "CLEANED");
    assert_eq!(asset["showsFaces"], true);

    let id: Uuid = asset["id"].as_str().unwrap().parse().unwrap();
    let row = media_asset::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("row");
    assert_eq!(asset["sizeBytes"], row.size_bytes.to_string());
    let stored = read_all(
        app.state
            .storage
            .get(&row.storage_key, None)
            .await
            .expect("stored")
            .bytes,
    )
    .await;
    assert!(!fixtures::contains(&stored, b"Exif"));
    assert!(!fixtures::contains(&stored, fixtures::COMMENT.as_bytes()));
    assert!(
        !row.storage_key.contains("IMG_0001"),
        "original names are replaced"
    );
}

#[tokio::test]
async fn html_named_like_a_photo_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = story(&app).await;

    let html = b"<!doctype html><html><script>alert(1)</script></html>".to_vec();
    let res = upload(&app, &token, story_id, vec![("photo.jpg", html)]).await;
    assert_eq!(res.code(), "UNSUPPORTED_MEDIA_TYPE", "{}", res.body);
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_while_streaming() {
    let app = spawn_app_with(&[("CHORUS_MEDIA_MAX_UPLOAD_BYTES", "1000")]).await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = story(&app).await;

    let big = fixtures::jpeg_with_metadata(1);
    assert!(big.len() > 1000);
    let res = upload(&app, &token, story_id, vec![("big.jpg", big)]).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE");
    nothing_stored(&app).await;
}

#[tokio::test]
async fn more_files_than_allowed_are_refused() {
    let app = spawn_app_with(&[("CHORUS_MEDIA_MAX_FILES", "2")]).await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = story(&app).await;

    let jpeg = fixtures::jpeg_with_metadata(1);
    let files = (0..3).map(|_| ("photo.jpg", jpeg.clone())).collect();
    let res = upload(&app, &token, story_id, files).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.code(), "PAYLOAD_TOO_LARGE");
    nothing_stored(&app).await;

    // Within the limit, the same request goes through.
    let res = upload(&app, &token, story_id, vec![("photo.jpg", jpeg)]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.data();
}

#[tokio::test]
async fn cross_site_and_api_key_uploads_are_refused() {
    let app = spawn_app().await;
    let (_, story_id) = story(&app).await;
    let jpeg = fixtures::jpeg_with_metadata(1);
    let variables = json!({ "storyId": story_id.to_string() });

    // What a browser could send from any site: no token, no preflight header.
    let res = send(
        &app,
        &[],
        form(
            ADD_STORY_MEDIA,
            variables.clone(),
            vec![("a.jpg", jpeg.clone())],
        ),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(res.code(), "FORBIDDEN");

    // With the preflight header the request is read, and fails for want of a sign-in.
    let res = send(
        &app,
        &[("graphql-preflight", "1")],
        form(
            ADD_STORY_MEDIA,
            variables.clone(),
            vec![("a.jpg", jpeg.clone())],
        ),
    )
    .await;
    assert_eq!(res.code(), "UNAUTHENTICATED", "{}", res.body);

    let admin = domain::staff(&app.db, "admin@chorus.test", Role::Admin).await;
    let (_, key) = consumers::create_key(
        &app.db,
        &admin,
        NewKey {
            name: "website".into(),
            channel: Channel::PublicWeb,
            partner_id: None,
            campaign_ids: vec![],
            expires_at: None,
        },
        clock::now(),
    )
    .await
    .expect("key");
    let res = send(
        &app,
        &[("x-api-key", &key), ("graphql-preflight", "1")],
        form(ADD_STORY_MEDIA, variables, vec![("a.jpg", jpeg)]),
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(res.code(), "FORBIDDEN");
    nothing_stored(&app).await;
}

#[tokio::test]
async fn only_editors_add_consent_evidence() {
    let app = spawn_app().await;
    let (teller_id, _) = story(&app).await;
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let variables = json!({ "storytellerId": teller_id.to_string() });

    let contributor = app
        .token_for("contributor@chorus.test", Role::Contributor)
        .await;
    let bearer = format!("Bearer {contributor}");
    let res = send(
        &app,
        &[("authorization", &bearer)],
        form(
            ADD_CONSENT_EVIDENCE,
            variables.clone(),
            vec![("consent.pdf", pdf.clone())],
        ),
    )
    .await;
    assert_eq!(res.code(), "FORBIDDEN", "{}", res.body);
    nothing_stored(&app).await;

    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let bearer = format!("Bearer {editor}");
    let res = send(
        &app,
        &[("authorization", &bearer)],
        form(ADD_CONSENT_EVIDENCE, variables, vec![("consent.pdf", pdf)]),
    )
    .await;
    assert_eq!(res.data()["addConsentEvidence"]["private"], true);
}

#[tokio::test]
async fn editors_describe_media_and_see_it_on_the_story() {
    let app = spawn_app().await;
    let token = app.token_for("editor@chorus.test", Role::Editor).await;
    let (_, story_id) = story(&app).await;
    let res = upload(
        &app,
        &token,
        story_id,
        vec![("a.png", fixtures::png_with_metadata())],
    )
    .await;
    let id = res.data()["addStoryMedia"]["id"].clone();

    let update = "mutation($id: ID!, $input: UpdateMediaInput!) {
        updateMedia(id: $id, input: $input) { altText caption credit showsFaces }
    }";
    let res = app
        .gql(
            Some(&token),
            update,
            json!({ "id": id, "input": { "altText": "  Two hands shaping dough  ", "credit": "Community kitchen", "showsFaces": false } }),
        )
        .await;
    assert_eq!(
        res.data()["updateMedia"],
        json!({ "altText": "Two hands shaping dough", "caption": null, "credit": "Community kitchen", "showsFaces": false })
    );
    let res = app
        .gql(
            Some(&token),
            update,
            json!({ "id": id, "input": { "credit": null, "altText": "" } }),
        )
        .await;
    assert_eq!(
        res.code(),
        "BAD_USER_INPUT",
        "an empty alt text is not a description"
    );
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "altText");

    let res = app
        .gql(
            Some(&token),
            "query($id: ID!) { editorialStory(id: $id) { media { id altText credit } } }",
            json!({ "id": story_id }),
        )
        .await;
    assert_eq!(
        res.data()["editorialStory"]["media"],
        json!([{ "id": id, "altText": "Two hands shaping dough", "credit": "Community kitchen" }]),
        "the refused change changed nothing"
    );

    let contributor = app
        .token_for("someone@chorus.test", Role::Contributor)
        .await;
    let res = app
        .gql(
            Some(&contributor),
            update,
            json!({ "id": id, "input": { "caption": "mine now" } }),
        )
        .await;
    assert_eq!(res.code(), "FORBIDDEN");
}

#[tokio::test]
async fn contributors_add_media_only_to_their_own_stories() {
    let app = spawn_app().await;
    // The story's author is author@chorus.test (see `story`).
    let (_, story_id) = story(&app).await;
    let other = app
        .token_for("other-contributor@chorus.test", Role::Contributor)
        .await;
    let res = upload(
        &app,
        &other,
        story_id,
        vec![("p.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    assert_eq!(res.code(), "FORBIDDEN", "{}", res.body);
    nothing_stored(&app).await;

    let author = app
        .login("author@chorus.test", crate::helpers::PASSWORD)
        .await
        .data()["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let res = upload(
        &app,
        &author,
        story_id,
        vec![("p.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    assert_eq!(res.data()["addStoryMedia"]["kind"], "IMAGE");
}
