//! The metrics files of a run: `metrics.csv` and `metrics.jsonl`, one row per logging
//! interval, written and flushed as they happen, and read back by `mgrl plot` and
//! `mgrl report`.
//!
//! Columns: the fixed ones ([`FIXED_COLUMNS`]), then every scalar of the learner's reports,
//! then every meta-parameter as `meta/<name>`. The set is fixed by the first row (and read
//! back from the header on resume); a value a row lacks is written empty (CSV) or `null`
//! (JSON). Numbers are written in Rust's shortest round-trip form, so the same values give
//! the same bytes. CSV is written and read by the `csv` crate (RFC 4180, quoting only where
//! needed, `\n` line ends).

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Columns every row has, in order. `wall_time_s` is the only one that depends on the clock.
pub const FIXED_COLUMNS: &[&str] =
    &["update", "frames", "wall_time_s", "episodes", "return_mean", "return_min", "return_max"];

/// The column of the clock: left out when rows are compared for reproducibility.
pub const WALL_CLOCK_COLUMN: &str = "wall_time_s";

/// The prefix of meta-parameter columns.
pub const META_PREFIX: &str = "meta/";

pub const CSV_FILE: &str = "metrics.csv";
pub const JSONL_FILE: &str = "metrics.jsonl";

/// One row: named values in column order (`None`: nothing to report, e.g. no episode ended).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub values: Vec<(String, Option<f64>)>,
}

impl MetricsRow {
    pub fn get(&self, column: &str) -> Option<f64> {
        self.values.iter().find(|(c, _)| c == column).and_then(|(_, v)| *v)
    }
}

/// Appends rows to both files of a run folder. An I/O error names the file.
pub struct MetricsWriter {
    dir: PathBuf,
    csv: File,
    jsonl: File,
    columns: Option<Vec<String>>,
    rows: u64,
    dropped: u64,
}

impl MetricsWriter {
    /// Starts empty files in `dir`.
    pub fn create(dir: &Path) -> Result<Self> {
        let open = |name: &str| {
            let path = dir.join(name);
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))
        };
        Ok(MetricsWriter {
            dir: dir.to_path_buf(),
            csv: open(CSV_FILE)?,
            jsonl: open(JSONL_FILE)?,
            columns: None,
            rows: 0,
            dropped: 0,
        })
    }

    /// Reopens the files of `dir` and cuts them back to their first `rows` rows, so that a
    /// resumed run neither repeats nor misses a row.
    pub fn resume(dir: &Path, rows: u64) -> Result<Self> {
        let (csv, header, dropped) = truncate_lines(&dir.join(CSV_FILE), rows, true)?;
        let (jsonl, _, _) = truncate_lines(&dir.join(JSONL_FILE), rows, false)?;
        let columns = header.map(|h| split_csv_line(&h)).transpose()?;
        Ok(MetricsWriter { dir: dir.to_path_buf(), csv, jsonl, columns, rows, dropped })
    }

    /// The rows of metrics.csv that [`Self::resume`] cut off (a half-written one counts).
    pub fn dropped_rows(&self) -> u64 {
        self.dropped
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes one row to both files and flushes them. The first row fixes the columns;
    /// a later value under a new name is an error naming it.
    pub fn write(&mut self, row: &MetricsRow) -> Result<()> {
        let mut csv_text = String::new();
        if self.columns.is_none() {
            let columns: Vec<String> = row.values.iter().map(|(c, _)| c.clone()).collect();
            csv_text = csv_line(&columns)?;
            self.columns = Some(columns);
        }
        let columns = self.columns.as_ref().expect("set above");
        if let Some((name, _)) = row.values.iter().find(|(c, _)| !columns.contains(c)) {
            bail!("the learner reported `{name}`, which was not among the metrics columns of the first row");
        }
        let value = |c: &String| row.values.iter().find(|(name, _)| name == c).and_then(|(_, v)| *v);
        let csv: Vec<String> = columns.iter().map(|c| value(c).map(format_number).unwrap_or_default()).collect();
        let json: Vec<String> = columns
            .iter()
            .map(|c| {
                let v = value(c).map_or_else(|| "null".to_string(), format_number);
                format!("{}:{v}", serde_json::Value::String(c.clone()))
            })
            .collect();
        csv_text += &csv_line(&csv)?;
        let in_file = |name: &str| format!("cannot write {}", self.dir.join(name).display());
        self.csv.write_all(csv_text.as_bytes()).and_then(|()| self.csv.flush()).with_context(|| in_file(CSV_FILE))?;
        let json_text = format!("{{{}}}\n", json.join(","));
        self.jsonl
            .write_all(json_text.as_bytes())
            .and_then(|()| self.jsonl.flush())
            .with_context(|| in_file(JSONL_FILE))?;
        self.rows += 1;
        Ok(())
    }

    /// Forces the rows to disk (before a checkpoint that counts them is written).
    pub fn sync(&self) -> Result<()> {
        for (file, name) in [(&self.csv, CSV_FILE), (&self.jsonl, JSONL_FILE)] {
            file.sync_data().with_context(|| format!("cannot write {}", self.dir.join(name).display()))?;
        }
        Ok(())
    }
}

/// A number in the shortest form that reads back to the same `f64` (integers without a
/// fraction), valid in CSV and JSON alike.
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// Opens `path` for appending after its first `rows` data lines (plus the header line if
/// `has_header` and there is one); returns the header and how many lines were cut off.
fn truncate_lines(path: &Path, rows: u64, has_header: bool) -> Result<(File, Option<String>, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::new(&file);
    let mut keep = 0u64;
    let mut header = None;
    let wanted = rows + u64::from(has_header);
    let mut line = String::new();
    for i in 0..wanted {
        line.clear();
        let n = reader.read_line(&mut line).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 || !line.ends_with('\n') {
            if rows == 0 && i == 0 {
                break; // no header yet: nothing was logged
            }
            bail!(
                "{} holds {} complete rows, but the checkpoint counts {rows}: the metrics file was cut short",
                path.display(),
                i.saturating_sub(u64::from(has_header))
            );
        }
        if has_header && i == 0 {
            header = Some(line.trim_end().to_string());
        }
        keep += n as u64;
    }
    let mut dropped = 0;
    while reader.read_line(&mut line).with_context(|| format!("cannot read {}", path.display()))? > 0 {
        dropped += 1;
        line.clear();
    }
    drop(reader);
    let mut file = file;
    file.set_len(keep)
        .and_then(|()| file.seek(SeekFrom::End(0)))
        .with_context(|| format!("cannot cut {} back to {rows} rows", path.display()))?;
    Ok((file, header, dropped))
}

/// One CSV record and its line end.
fn csv_line<S: AsRef<[u8]>>(fields: &[S]) -> Result<String> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields)?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("cannot write a CSV line: {e}"))?;
    Ok(String::from_utf8(bytes)?)
}

/// The fields of one CSV line (a header read back).
fn split_csv_line(line: &str) -> Result<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
    let record = r.records().next().transpose()?.unwrap_or_default();
    Ok(record.iter().map(str::to_string).collect())
}

/// The `metrics.csv` of a run, read back.
#[derive(Debug, Clone)]
pub struct MetricsTable {
    pub path: PathBuf,
    pub columns: Vec<String>,
    /// One entry per row and column; `None` for an empty cell.
    pub rows: Vec<Vec<Option<f64>>>,
}

impl MetricsTable {
    /// Reads `<dir>/metrics.csv`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(CSV_FILE);
        let file = std::fs::File::open(&path)
            .with_context(|| format!("cannot read {} (is {} a run folder?)", path.display(), dir.display()))?;
        let mut reader = csv::ReaderBuilder::new().from_reader(file);
        let columns: Vec<String> = reader
            .headers()
            .with_context(|| format!("cannot read {}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|record| {
                let record = record.map_err(|e| match e.kind() {
                    csv::ErrorKind::UnequalLengths { pos, expected_len, len } => anyhow::anyhow!(
                        "{}:{}: {len} fields, the header has {expected_len}",
                        path.display(),
                        pos.as_ref().map_or(0, |p| p.line())
                    ),
                    _ => anyhow::anyhow!("{}: {e}", path.display()),
                })?;
                let line = record.position().map_or(0, |p| p.line());
                record
                    .iter()
                    .map(|c| match c {
                        "" => Ok(None),
                        s => s
                            .parse::<f64>()
                            .map(Some)
                            .with_context(|| format!("{}:{line}: `{s}` is not a number", path.display())),
                    })
                    .collect()
            })
            .collect::<Result<_>>()?;
        Ok(MetricsTable { path, columns, rows })
    }

    /// The table of a run that has logged nothing yet.
    pub fn empty(dir: &Path) -> Self {
        MetricsTable { path: dir.join(CSV_FILE), columns: Vec::new(), rows: Vec::new() }
    }

    /// The index of `column`.
    pub fn column(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// (x, y) pairs of two columns, for rows where both are present.
    pub fn pairs(&self, x: &str, y: &str) -> Vec<(f64, f64)> {
        let (Some(xi), Some(yi)) = (self.column(x), self.column(y)) else { return Vec::new() };
        self.rows.iter().filter_map(|r| Some((r[xi]?, r[yi]?))).collect()
    }

    /// The present values of one column.
    pub fn values(&self, column: &str) -> Vec<f64> {
        let Some(i) = self.column(column) else { return Vec::new() };
        self.rows.iter().filter_map(|r| r[i]).collect()
    }

    /// The meta-parameter columns, without their prefix.
    pub fn meta_columns(&self) -> Vec<&str> {
        self.columns.iter().filter_map(|c| c.strip_prefix(META_PREFIX)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(update: f64, extra: Option<f64>) -> MetricsRow {
        MetricsRow {
            values: vec![
                ("update".into(), Some(update)),
                ("loss, total".into(), Some(update / 3.0)),
                ("meta/gamma[0]".into(), extra),
            ],
        }
    }

    #[test]
    fn rows_round_trip_through_the_csv_with_quoted_names_and_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MetricsWriter::create(dir.path()).unwrap();
        w.write(&row(1.0, Some(0.25))).unwrap();
        w.write(&row(2.0, None)).unwrap();
        let t = MetricsTable::read(dir.path()).unwrap();
        assert_eq!(t.columns, ["update", "loss, total", "meta/gamma[0]"]);
        assert_eq!(t.rows, vec![vec![Some(1.0), Some(1.0 / 3.0), Some(0.25)], vec![Some(2.0), Some(2.0 / 3.0), None]]);
        assert_eq!(t.meta_columns(), ["gamma[0]"]);
        let jsonl = std::fs::read_to_string(dir.path().join(JSONL_FILE)).unwrap();
        let second: serde_json::Value = serde_json::from_str(jsonl.lines().nth(1).unwrap()).unwrap();
        assert_eq!(second["meta/gamma[0]"], serde_json::Value::Null);
        assert_eq!(second["loss, total"].as_f64(), Some(2.0 / 3.0));
    }

    #[test]
    fn resume_cuts_both_files_back_to_the_counted_rows_and_keeps_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MetricsWriter::create(dir.path()).unwrap();
        for u in 1..=5 {
            w.write(&row(u as f64, Some(0.5))).unwrap();
        }
        drop(w);
        // A row half-written when the process died.
        std::fs::OpenOptions::new().append(true).open(dir.path().join(CSV_FILE)).unwrap().write_all(b"6,2").unwrap();
        let mut w = MetricsWriter::resume(dir.path(), 3).unwrap();
        assert_eq!(w.dropped_rows(), 3);
        w.write(&row(4.0, Some(0.5))).unwrap();
        let t = MetricsTable::read(dir.path()).unwrap();
        assert_eq!(t.values("update"), [1.0, 2.0, 3.0, 4.0]);
        let jsonl = std::fs::read_to_string(dir.path().join(JSONL_FILE)).unwrap();
        assert_eq!(jsonl.lines().count(), 4);
    }

    #[test]
    fn resume_refuses_a_file_with_fewer_rows_than_the_checkpoint_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MetricsWriter::create(dir.path()).unwrap();
        w.write(&row(1.0, None)).unwrap();
        drop(w);
        let err = MetricsWriter::resume(dir.path(), 4).err().unwrap().to_string();
        assert!(err.contains("1 complete rows") && err.contains("counts 4"), "{err}");
    }

    #[test]
    fn a_column_unknown_to_the_header_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MetricsWriter::create(dir.path()).unwrap();
        w.write(&row(1.0, None)).unwrap();
        let err = w.write(&MetricsRow { values: vec![("entropy".into(), Some(1.0))] }).unwrap_err().to_string();
        assert!(err.contains("`entropy`"), "{err}");
    }

    #[test]
    fn a_full_disk_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/full", dir.path().join(CSV_FILE)).unwrap();
        let mut w = MetricsWriter::create(dir.path()).unwrap();
        let err = format!("{:#}", w.write(&row(1.0, None)).unwrap_err());
        assert!(err.contains(&dir.path().join(CSV_FILE).display().to_string()), "{err}");
        assert!(err.contains("No space left on device"), "{err}");
    }

    #[test]
    fn a_row_with_too_few_fields_is_an_error_naming_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CSV_FILE), "update,frames\n1,2\n3\n").unwrap();
        let err = MetricsTable::read(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("metrics.csv:3: 1 fields, the header has 2"), "{err}");
        std::fs::write(dir.path().join(CSV_FILE), "update,frames\n1,x\n").unwrap();
        let err = MetricsTable::read(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("metrics.csv:2: `x` is not a number"), "{err}");
    }

    #[test]
    fn the_header_quotes_only_the_names_that_need_it() {
        assert_eq!(
            csv_line(&["update", "loss, total", "say \"hi\""]).unwrap(),
            "update,\"loss, total\",\"say \"\"hi\"\"\"\n"
        );
        assert_eq!(split_csv_line("update,\"loss, total\"").unwrap(), ["update", "loss, total"]);
    }

    #[test]
    fn numbers_are_written_in_shortest_round_trip_form() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.1), "-0.1");
        assert_eq!(format_number(1e-20), "1e-20");
        assert_eq!(format_number(1e300).parse::<f64>().unwrap(), 1e300);
    }
}
