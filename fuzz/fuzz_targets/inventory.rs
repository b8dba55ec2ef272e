#![no_main]
//! inventory: any text through the parser. Never panics; diagnostics carry positions.
use libfuzzer_sys::fuzz_target;
use onus_discover::{parse_file, Input};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let p = parse_file(Input::GcpAssetInventory, "assets.jsonl", text);
        for d in &p.diagnostics {
            assert!(d.line >= 1 && d.col >= 1);
        }
        let _ = onus_discover::detect("assets.jsonl", text);
    }
});
