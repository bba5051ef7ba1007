//! Compiles the protocol files in `proto/` with protox (pure Rust, so no `protoc` is needed).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["proto/tfplugin5.proto", "proto/go_plugin.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        // The client half is for our own integration tests, which speak to the real binary.
        .build_client(true)
        // RPCs we leave to the trait's defaults answer `Unimplemented`.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
