//! The admin page and everything it loads come from Chorus itself.

use api::{auth::Role, media::strip::fixtures};
use serde_json::json;

use crate::{
    helpers::{spawn_app, spawn_app_with},
    s3_server::S3Server,
    uploads,
};

/// Every `src="…"` and `href="…"` in a page.
fn references(html: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attr) {
            let tail = &rest[start + attr.len()..];
            let end = tail.find('"').expect("closing quote");
            refs.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    refs
}

#[tokio::test]
async fn admin_page_and_every_asset_it_references_are_served_locally() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<meta charset=\"utf-8\">"));

    let refs = references(&html);
    assert!(
        refs.len() >= 6,
        "the page loads GraphiQL, React and its own files: {refs:?}"
    );
    for r in refs.iter().filter(|r| !r.starts_with("data:")) {
        assert!(
            r.starts_with("/admin/assets/"),
            "{r} must be served by Chorus, not fetched from elsewhere"
        );
        let res = app.client.get(app.url(r)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{r}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        let body = res.bytes().await.unwrap();
        assert!(!body.is_empty(), "{r} has content");
        if r.ends_with(".js") {
            assert!(kind.starts_with("text/javascript"), "{r}: {kind}");
        } else if r.ends_with(".css") {
            assert!(kind.starts_with("text/css"), "{r}: {kind}");
            // A stylesheet may pull in fonts or images; they must be inline or local too.
            let css = String::from_utf8_lossy(&body);
            for (i, _) in css.match_indices("url(") {
                let target = css[i + 4..].trim_start_matches(['"', '\'']);
                assert!(
                    target.starts_with("data:")
                        || target.starts_with('#')
                        || !target.contains("//"),
                    "{r} loads {} from elsewhere",
                    &target[..target.len().min(60)]
                );
            }
            assert!(!css.contains("@import"), "{r} imports another stylesheet");
        }
    }
    let missing = app
        .client
        .get(app.url("/admin/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// The sources one directive of a Content-Security-Policy allows.
fn directive<'a>(csp: &'a str, name: &str) -> Vec<&'a str> {
    csp.split(';')
        .map(str::split_whitespace)
        .find_map(|mut words| (words.next() == Some(name)).then(|| words.collect()))
        .unwrap_or_default()
}

async fn admin_csp(app: &crate::helpers::TestApp) -> String {
    let res = app.client.get(app.url("/admin")).send().await.unwrap();
    res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .expect("an absolute URL")
        .origin()
        .ascii_serialization()
}

#[tokio::test]
async fn on_s3_the_admin_page_may_reach_the_bucket_for_previews_and_uploads_and_nothing_else() {
    let server = S3Server::start().await;
    let bucket = server.create_bucket();
    let app = spawn_app_with(&[
        ("CHORUS_STORAGE", "s3"),
        ("CHORUS_S3_BUCKET", &bucket),
        ("CHORUS_S3_ENDPOINT", &server.endpoint),
        ("CHORUS_S3_ACCESS_KEY_ID", &server.access_key),
        ("CHORUS_S3_SECRET_ACCESS_KEY", &server.secret_key),
        ("CHORUS_S3_PATH_STYLE", "true"),
    ])
    .await;
    let csp = admin_csp(&app).await;
    let bucket_origin = origin(&server.endpoint);
    for name in ["img-src", "media-src", "connect-src"] {
        let allowed = directive(&csp, name);
        assert!(allowed.contains(&bucket_origin.as_str()), "{name}: {csp}");
        assert!(
            allowed
                .iter()
                .all(|s| ["'self'", "data:", "blob:", bucket_origin.as_str()].contains(s)),
            "{name} allows only this server and the bucket: {csp}"
        );
    }
    for name in ["default-src", "script-src"] {
        assert_eq!(directive(&csp, name), ["'self'"], "{csp}");
    }

    // The URLs the newsroom is given are the ones the policy lets it use.
    let (_, story) = uploads::story(&app).await;
    let editor = app.token_for("editor@chorus.test", Role::Editor).await;
    let added = uploads::upload(
        &app,
        &editor,
        story,
        vec![("face.jpg", fixtures::jpeg_with_metadata(1))],
    )
    .await;
    let id = added.data()["addStoryMedia"]["id"].clone();
    let item = app
        .gql(
            Some(&editor),
            "query($id: ID!) { mediaAsset(id: $id) { sources { url } } }",
            json!({ "id": id }),
        )
        .await;
    let sources = item.data()["mediaAsset"]["sources"].as_array().unwrap();
    assert!(!sources.is_empty());
    for source in sources {
        let url = source["url"].as_str().unwrap();
        assert!(url.contains("X-Amz-Signature="), "presigned: {url}");
        assert!(
            directive(&csp, "img-src").contains(&origin(url).as_str()),
            "{url}"
        );
    }
    let upload = app
        .gql(
            Some(&editor),
            "mutation($input: CreateMediaUploadInput!) { createMediaUpload(input: $input) { url } }",
            json!({ "input": { "storyId": story.to_string(), "sizeBytes": "40000000" } }),
        )
        .await;
    let url = upload.data()["createMediaUpload"]["url"].as_str().unwrap();
    assert!(
        directive(&csp, "connect-src").contains(&origin(url).as_str()),
        "{url}"
    );
}

#[tokio::test]
async fn with_media_on_local_disk_the_admin_page_reaches_only_this_server() {
    let app = spawn_app().await;
    let csp = admin_csp(&app).await;
    for name in ["default-src", "script-src", "connect-src", "media-src"] {
        assert_eq!(directive(&csp, name), ["'self'"], "{name}: {csp}");
    }
    assert_eq!(directive(&csp, "img-src"), ["'self'", "data:", "blob:"]);
}
