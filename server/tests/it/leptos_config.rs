//! Leptos.toml holds the server's runtime options; cargo-leptos reads its own copy
//! of the shared keys from Cargo.toml. They must not drift apart.
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
}

fn table(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).expect("readable");
    text.parse::<toml::Table>().expect("valid TOML")
}

#[test]
fn shared_keys_agree() {
    let cargo = table(&root().join("Cargo.toml"));
    let build = cargo["workspace"]["metadata"]["leptos"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|t| t.as_table())
        .expect("[[workspace.metadata.leptos]] in Cargo.toml")
        .clone();
    let leptos = table(&root().join("Leptos.toml"));
    let runtime = leptos["package"]["metadata"]["leptos"]
        .as_table()
        .expect("[package.metadata.leptos] in Leptos.toml")
        .clone();

    let shared = [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
    ];
    for key in shared {
        assert_eq!(
            build.get(key),
            runtime.get(key),
            "`{key}` differs between Cargo.toml and Leptos.toml"
        );
    }
    for key in runtime.keys() {
        assert!(
            shared.contains(&key.as_str()) || key == "env",
            "Leptos.toml has `{key}`, which this test does not compare"
        );
    }
}

#[test]
fn the_server_reads_leptos_toml() {
    std::env::set_var("PRUUF_LEPTOS_TOML", root().join("Leptos.toml"));
    let options = server::leptos_options().expect("Leptos.toml loads");
    assert_eq!(&*options.output_name, "pruuf");
    assert_eq!(options.site_addr.to_string(), "127.0.0.1:3000");
}
