//! The JSON Canonicalization Scheme (RFC 8785): one byte sequence for one JSON value, so that a hash over it
//! does not depend on key order, whitespace or number spelling.
//!
//! Object members are sorted by the UTF-16 code units of their names; strings are escaped as ECMAScript's
//! `JSON.stringify` does (only `"`, `\` and control characters, with the short forms where they exist); numbers are
//! written as ECMAScript's `Number.prototype.toString` writes them.

use serde_json::Value;

/// The canonical form of `v`.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&number(i as f64, Some(i.to_string())));
            } else if let Some(u) = n.as_u64() {
                out.push_str(&number(u as f64, Some(u.to_string())));
            } else {
                out.push_str(&number(n.as_f64().unwrap_or(0.0), None));
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                write(&m[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript's `Number.prototype.toString` for a finite double. Integers that fit exactly are written as
/// integers (`exact` carries their decimal digits, so that 64-bit values beyond 2^53 are not rounded: RFC 8785
/// leaves those to the application, and ours are sequence numbers and counts).
fn number(f: f64, exact: Option<String>) -> String {
    if let Some(e) = exact {
        return e;
    }
    if f == 0.0 || !f.is_finite() {
        // JSON has no NaN or infinity; serde_json never holds them. -0 is written as 0.
        return "0".into();
    }
    let neg = f < 0.0;
    // The shortest round-trip digits and exponent, from Rust's `{:e}` (e.g. `1.2345e-7`).
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exp + 1;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_sort_by_utf16_code_units_and_whitespace_goes() {
        // RFC 8785 section 3.2.3: sorting by UTF-16 units puts U+1F600 (a surrogate pair, 0xD83D...) before
        // U+FB33 (0xFB33), the reverse of code point order.
        let v: Value = serde_json::from_str(
            r#"{"\ufb33": 1, "\ud83d\ude00": 2, "b": [1, 2], "a": {"y": null, "x": true}}"#,
        )
        .unwrap();
        assert_eq!(
            to_string(&v),
            "{\"a\":{\"x\":true,\"y\":null},\"b\":[1,2],\"\u{1F600}\":2,\"\u{FB33}\":1}"
        );
    }

    #[test]
    fn strings_escape_like_json_stringify() {
        let v = json!("a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{1f}/é€");
        assert_eq!(to_string(&v), r#""a\"b\\c\b\f\n\r\t\u0001\u001f/é€""#);
    }

    #[test]
    fn numbers_are_written_as_ecmascript_writes_them() {
        // Values from RFC 8785 appendix B.
        let cases: &[(f64, &str)] = &[
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (-1.5, "-1.5"),
            (4.5, "4.5"),
            (2e-3, "0.002"),
            (9007199254740994.0, "9007199254740994"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (333333333.3333333, "333333333.3333333"),
        ];
        for (f, want) in cases {
            assert_eq!(number(*f, None), *want, "{f}");
        }
        assert_eq!(to_string(&json!(-0.0)), "0");
        assert_eq!(to_string(&json!(u64::MAX)), "18446744073709551615");
    }
}
