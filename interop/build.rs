//! Imports every committed `fixtures/*.onnx` into burn code with burn-onnx's `ModelGen`
//! (`$OUT_DIR/model/NAME.rs` and its weights `NAME.bpk`), and writes `$OUT_DIR/models.rs`:
//! one module per imported file, `load(name, device)` and `IMPORT_FAILED`.
//!
//! A file burn-onnx cannot import is recorded in `IMPORT_FAILED` (with burn-onnx's message)
//! rather than failing the build, so the failure shows up as a failing test of this crate and
//! the rest of the workspace still builds and tests. A missing fixture is simply not imported
//! (and `tests/fixtures.rs` fails, saying how to write it).

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=fixtures");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut names: Vec<String> = std::fs::read_dir("fixtures")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|f| f.strip_suffix(".onnx").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();

    let mut modules = String::new();
    let mut arms = String::new();
    let mut failed = Vec::new();
    for name in &names {
        println!("cargo:rerun-if-changed=fixtures/{name}.onnx");
        let imported = catch_unwind(AssertUnwindSafe(|| {
            burn_onnx::ModelGen::new()
                .input(&format!("fixtures/{name}.onnx"))
                .out_dir("model/")
                .run_from_script();
        }));
        if let Err(panic) = imported {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "burn-onnx panicked".into());
            println!("cargo:warning=burn-onnx could not import fixtures/{name}.onnx: {message}");
            failed.push((name.clone(), message));
            continue;
        }
        let module = name.replace(['-', '.'], "_");
        writeln!(
            modules,
            "#[allow(unused_variables, dead_code, clippy::all)]\n\
             pub mod {module} {{ include!(concat!(env!(\"OUT_DIR\"), \"/model/{name}.rs\")); }}"
        )
        .unwrap();
        writeln!(
            arms,
            "        {name:?} => {{\n            \
             let model = {module}::Model::from_file(\
             concat!(env!(\"OUT_DIR\"), \"/model/{name}.bpk\"), device);\n            \
             Some(Box::new(move |chars| model.forward(chars)))\n        }}"
        )
        .unwrap();
    }

    let code = format!(
        "// Written by build.rs from fixtures/*.onnx.\n\
         {modules}\n\
         /// The imported model of `fixtures/NAME.onnx` as a function of the `[batch, len]` ids,\n\
         /// or `None` when that file was missing (or not importable) at build time.\n\
         #[allow(clippy::type_complexity)]\n\
         pub fn load(\n    name: &str,\n    device: &burn::tensor::Device,\n\
         ) -> Option<Box<dyn Fn(burn::tensor::Tensor<2, burn::tensor::Int>) -> burn::tensor::Tensor<2>>> {{\n    \
         match name {{\n{arms}        _ => None,\n    }}\n}}\n\n\
         /// Fixtures burn-onnx failed to import, with its message.\n\
         pub const IMPORT_FAILED: &[(&str, &str)] = &{failed:?};\n"
    );
    std::fs::write(format!("{out_dir}/models.rs"), code).expect("write models.rs");
}
