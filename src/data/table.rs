//! Reading a delimited text file into a header and rows of string cells.

use std::path::Path;

use crate::error::{Error, Result};

/// A CSV file as text: the header and every data row, each with its 1-based line number.
#[derive(Debug)]
pub struct RawTable {
    pub header: Vec<String>,
    pub rows: Vec<RawRow>,
    /// SHA-256 of the file's bytes, in lowercase hex.
    pub sha256: String,
}

#[derive(Debug)]
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<String>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads `path`, accepting a UTF-8 byte-order mark and CRLF or LF line ends.
///
/// # Errors
/// An unreadable or empty file, a header with no data rows, duplicate or empty column
/// names, a row whose field count differs from the header's, invalid UTF-8.
pub fn read_table(path: &Path, delimiter: u8) -> Result<RawTable> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.into(), source })?;
    let sha256 = sha256_hex(&bytes);
    let csv_error = |message: String| Error::Csv { path: path.into(), message };

    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(csv_error("file is UTF-16; save it as UTF-8 and run again".into()));
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    // csv 1.3 numbers the records of a CRLF file one line too low (the header's LF is
    // counted as part of the next record), so error messages would point at the wrong
    // line. Parsing LF line ends avoids that; a CR inside a quoted cell is lost, which
    // numeric data never has.
    let body = normalize_line_ends(body);
    let body = body.as_slice();
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(csv_error("file is empty; expected a header row and data rows".into()));
    }

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(describe_csv_error(&e)))?
        .iter()
        .map(|name| name.trim().to_string())
        .collect();
    check_header(&header, delimiter).map_err(csv_error)?;

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(describe_csv_error(&e)))?;
        let line = record.position().map_or(0, |p| p.line());
        // A line with only delimiters or spaces, common at the end of spreadsheet
        // exports, carries no data.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            return Err(csv_error(format!(
                "line {line} has {} fields but the header has {}; fix that row{}",
                record.len(),
                header.len(),
                delimiter_hint(delimiter)
            )));
        }
        let cells = record.iter().map(|cell| cell.trim().to_string()).collect();
        rows.push(RawRow { line, cells });
    }
    if rows.is_empty() {
        return Err(csv_error("file has a header but no data rows".into()));
    }
    Ok(RawTable { header, rows, sha256 })
}

fn normalize_line_ends(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' && iter.peek() == Some(&&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

fn check_header(header: &[String], delimiter: u8) -> std::result::Result<(), String> {
    if header.len() < 2 {
        return Err(format!(
            "header has {} column; expected at least one predictor and one target{}",
            header.len(),
            delimiter_hint(delimiter)
        ));
    }
    if let Some(position) = header.iter().position(|name| name.is_empty()) {
        return Err(format!(
            "header column {} has no name; give every column a name",
            position + 1
        ));
    }
    let mut seen = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(format!(
                "duplicate column name {name:?} (columns {} and {}); rename one of them",
                first + 1,
                i + 1
            ));
        }
    }
    Ok(())
}

fn delimiter_hint(delimiter: u8) -> &'static str {
    if delimiter == b',' {
        " (for ';' or tab separated files, pass --delimiter)"
    } else {
        ""
    }
}

fn describe_csv_error(error: &csv::Error) -> String {
    let line = error.position().map(|p| p.line());
    match (error.kind(), line) {
        (csv::ErrorKind::Utf8 { .. }, Some(line)) => {
            format!("line {line} is not valid UTF-8; save the file as UTF-8")
        }
        (_, Some(line)) => format!("line {line}: {error}"),
        (_, None) => error.to_string(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_temp(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        file
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let file = write_temp(b"\xEF\xBB\xBFa,b\r\n1,2\r\n3,4\r\n");
        let table = read_table(file.path(), b',').unwrap();
        assert_eq!(table.header, vec!["a", "b"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[1].cells, vec!["3", "4"]);
        assert_eq!(table.rows[1].line, 3);
    }

    #[test]
    fn crlf_error_names_the_right_line() {
        let file = write_temp(b"a,b\r\n1,2\r\n3\r\n");
        let message = read_table(file.path(), b',').unwrap_err().to_string();
        assert!(message.contains("line 3 has 1 fields"), "{message}");
    }

    #[test]
    fn short_row_names_line_and_counts() {
        let file = write_temp(b"a,b,c\n1,2,3\n4,5\n");
        let message = read_table(file.path(), b',').unwrap_err().to_string();
        assert!(message.contains("line 3 has 2 fields but the header has 3"), "{message}");
    }

    #[test]
    fn sha256_of_known_bytes() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
