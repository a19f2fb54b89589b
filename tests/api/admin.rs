//! The admin page and everything it loads come from Chorus itself.

use crate::helpers::spawn_app;

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
