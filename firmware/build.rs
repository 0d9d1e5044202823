//! On the host, before the firmware compiles: packs the model (`SUBLEX_FIRMWARE_MODEL`, an
//! exported embedder; default the wasm tests' small fixture) into the kernel's layout (int8
//! for an int8 file) as
//! `packed.bin`, and writes `model.rs` with the kernel's dimensions and the words' character
//! ids. The device then only reads flash: no ONNX, no allocation.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The words the firmware embeds: ordinary, misspelt, made up, accented, long; "language"
/// is the 8-character word of the instruction-count target.
const WORDS: &[&str] = &[
    "hello",
    "wrld",
    "kitten",
    "unfriendliest",
    "sublexical",
    "a",
    "Zürich",
    "co-operate",
    "language",
    "pneumonoultramicroscopic",
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // cortex-m-rt's link.x includes memory.x from the linker's search path.
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-env-changed=SUBLEX_FIRMWARE_MODEL");
    let model = std::env::var("SUBLEX_FIRMWARE_MODEL")
        .unwrap_or_else(|_| "../wasm/tests/fixtures/embedder.onnx".into());
    println!("cargo:rerun-if-changed={model}");
    if let Err(e) = pack(&model, &out) {
        panic!("{model}: {e}");
    }
}

fn pack(model: &str, out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let artifact = sublex_runtime::Artifact::open(model)?;
    artifact.expect_kind(sublex_runtime::Kind::Embedder)?;
    let m = artifact.manifest();
    let dims = m.shapes().kernel_dims();
    // As the runtime does: an int8 file stays int8 (a quarter of the flash).
    let weights = artifact.weights()?;
    let packed = if m.precision == sublex_runtime::Precision::Int8 {
        let mut packed = vec![0f32; dims.packed_len_int8()];
        sublex_kernel::pack_int8(&dims, &weights.kernel_view(), &mut packed)?;
        packed
    } else {
        let mut packed = vec![0f32; dims.packed_len()];
        sublex_kernel::pack(&dims, &weights.kernel_view(), &mut packed)?;
        packed
    };
    let bytes: Vec<u8> = packed.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(out.join("packed.bin"), &bytes)?;
    let mut rs = format!(
        "/// The kernel's dimensions of {model:?} ({precision}).\n\
         pub const DIMS: Dims = Dims {{ vocab: {}, char_dim: {}, hidden: {}, dim: {}, \
         highway: {} }};\n\
         pub const PACKED_LEN: usize = {};\npub const SCRATCH_LEN: usize = {};\n\
         pub const DIM: usize = {};\npub const PRECISION: &str = \"{precision}\";\n\
         /// Each word and its character ids.\n\
         pub const WORDS: &[(&str, &[u32])] = &[\n",
        dims.vocab,
        dims.char_dim,
        dims.hidden,
        dims.dim,
        dims.highway,
        packed.len(),
        dims.scratch_len(),
        dims.dim,
        precision = m.precision,
    );
    for word in WORDS {
        writeln!(rs, "    ({word:?}, &{:?}),", m.vocab.encode(word))?;
    }
    rs += "];\n";
    std::fs::write(out.join("model.rs"), rs)?;
    Ok(())
}
