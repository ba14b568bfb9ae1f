//! A strict walk of the zip central directory, done before any byte is decompressed.
//!
//! The `zip` crate keeps one entry per name (a duplicate silently replaces the first) and tolerates
//! data before the archive; a package tolerates neither, so the raw central directory is read here
//! to see every entry exactly as written. Only what package format v1 needs is accepted: one disk,
//! no zip64, no archive comment, and the first local header at byte 0.

use crate::error::ReadError;

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE: u32 = 0x0605_4b50;
const END_OF_CENTRAL_DIRECTORY_LEN: usize = 22;
const CENTRAL_HEADER_LEN: usize = 46;

/// Host systems in the "version made by" field whose external attributes carry a unix mode.
const HOST_UNIX: u8 = 3;
const HOST_MACOS: u8 = 19;

/// One central directory record, as declared (nothing here is trusted yet).
#[derive(Debug, Clone)]
pub(crate) struct CentralEntry {
    pub name: Vec<u8>,
    pub host: u8,
    pub flags: u16,
    pub method: u16,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub external_attributes: u32,
    pub local_header_offset: u64,
}

impl CentralEntry {
    /// The unix mode, when the creating system recorded one.
    pub fn unix_mode(&self) -> Option<u32> {
        matches!(self.host, HOST_UNIX | HOST_MACOS).then_some(self.external_attributes >> 16)
    }

    /// The MS-DOS directory attribute.
    pub fn is_dos_directory(&self) -> bool {
        self.external_attributes & 0x10 != 0
    }
}

fn malformed(reason: impl Into<String>) -> ReadError {
    ReadError::MalformedArchive {
        reason: reason.into(),
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ReadError> {
    bytes
        .get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| malformed("the central directory is cut short"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ReadError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| malformed("the central directory is cut short"))
}

/// Read the central directory of `bytes`, refusing more than `max_entries` entries before walking
/// them.
pub(crate) fn central_directory(
    bytes: &[u8],
    max_entries: usize,
) -> Result<Vec<CentralEntry>, ReadError> {
    let end = bytes
        .len()
        .checked_sub(END_OF_CENTRAL_DIRECTORY_LEN)
        .ok_or_else(|| malformed("too short to be a zip archive"))?;
    if u32_at(bytes, end)? != END_OF_CENTRAL_DIRECTORY_SIGNATURE {
        return Err(malformed(
            "no end of central directory record at the end (truncated, trailing data or a comment)",
        ));
    }
    let disk = u16_at(bytes, end + 4)?;
    let directory_disk = u16_at(bytes, end + 6)?;
    let entries_on_disk = u16_at(bytes, end + 8)?;
    let entries = u16_at(bytes, end + 10)?;
    let directory_size = u32_at(bytes, end + 12)?;
    let directory_offset = u32_at(bytes, end + 16)?;
    if disk != 0 || directory_disk != 0 || entries_on_disk != entries {
        return Err(malformed("multi-disk archives are not supported"));
    }
    if entries == u16::MAX || directory_size == u32::MAX || directory_offset == u32::MAX {
        return Err(malformed("zip64 archives are not supported"));
    }
    if usize::from(entries) > max_entries {
        return Err(ReadError::TooManyEntries {
            count: usize::from(entries),
            max: max_entries,
        });
    }
    let start = directory_offset as usize;
    if start.checked_add(directory_size as usize) != Some(end) {
        return Err(malformed(
            "the central directory is not where the end record says (data before the archive?)",
        ));
    }
    if entries > 0 && u32_at(bytes, 0)? != LOCAL_HEADER_SIGNATURE {
        return Err(malformed(
            "the archive does not start with a local file header",
        ));
    }

    let mut records = Vec::with_capacity(usize::from(entries));
    let mut at = start;
    for _ in 0..entries {
        let (record, next) = central_record(bytes, at, end)?;
        records.push(record);
        at = next;
    }
    if at != end {
        return Err(malformed(
            "the central directory holds more than its entry count",
        ));
    }
    if let Some(first) = records.iter().map(|r| r.local_header_offset).min()
        && first != 0
    {
        return Err(malformed("data before the first entry"));
    }
    Ok(records)
}

fn central_record(bytes: &[u8], at: usize, end: usize) -> Result<(CentralEntry, usize), ReadError> {
    if at + CENTRAL_HEADER_LEN > end || u32_at(bytes, at)? != CENTRAL_HEADER_SIGNATURE {
        return Err(malformed("a central directory record is damaged"));
    }
    let name_len = usize::from(u16_at(bytes, at + 28)?);
    let extra_len = usize::from(u16_at(bytes, at + 30)?);
    let comment_len = usize::from(u16_at(bytes, at + 32)?);
    let name_start = at + CENTRAL_HEADER_LEN;
    let next = name_start + name_len + extra_len + comment_len;
    if next > end {
        return Err(malformed(
            "a central directory record runs past the directory",
        ));
    }
    let record = CentralEntry {
        name: bytes[name_start..name_start + name_len].to_vec(),
        host: u16_at(bytes, at + 4)?.to_be_bytes()[0],
        flags: u16_at(bytes, at + 8)?,
        method: u16_at(bytes, at + 10)?,
        compressed_size: u64::from(u32_at(bytes, at + 20)?),
        uncompressed_size: u64::from(u32_at(bytes, at + 24)?),
        external_attributes: u32_at(bytes, at + 38)?,
        local_header_offset: u64::from(u32_at(bytes, at + 42)?),
    };
    if record.compressed_size == u64::from(u32::MAX)
        || record.uncompressed_size == u64::from(u32::MAX)
        || record.local_header_offset == u64::from(u32::MAX)
    {
        return Err(malformed("zip64 entries are not supported"));
    }
    Ok((record, next))
}

#[cfg(test)]
mod tests {
    //! The walk refuses each unsupported shape on its own: one field patched at a time.
    use std::io::{Cursor, Write};

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    fn archive() -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for name in ["a.recipe.json", "b.recipe.json"] {
            writer
                .start_file(name, SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(b"{}").expect("data");
        }
        writer.finish().expect("finish").into_inner()
    }

    /// The archive with the end record's field at `offset` set to `value` (2 or 4 bytes).
    fn with_end_field(offset: usize, value: &[u8]) -> Vec<u8> {
        let mut bytes = archive();
        let at = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN + offset;
        bytes[at..at + value.len()].copy_from_slice(value);
        bytes
    }

    #[track_caller]
    fn refused(bytes: &[u8], reason: &str) {
        match central_directory(bytes, 10) {
            Err(ReadError::MalformedArchive { reason: found }) => assert_eq!(found, reason),
            other => panic!("expected {reason:?}, got {other:?}"),
        }
    }

    #[test]
    fn the_untouched_archive_walks() {
        let entries = central_directory(&archive(), 10).expect("walks");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].name, b"b.recipe.json");
    }

    #[test]
    fn each_multi_disk_field_is_refused_alone() {
        let multi_disk = "multi-disk archives are not supported";
        refused(&with_end_field(4, &1_u16.to_le_bytes()), multi_disk);
        refused(&with_end_field(6, &1_u16.to_le_bytes()), multi_disk);
        refused(&with_end_field(8, &1_u16.to_le_bytes()), multi_disk);
    }

    #[test]
    fn each_zip64_marker_is_refused_alone() {
        let zip64 = "zip64 archives are not supported";
        let both = [u16::MAX.to_le_bytes(), u16::MAX.to_le_bytes()].concat();
        refused(&with_end_field(8, &both), zip64);
        refused(&with_end_field(12, &u32::MAX.to_le_bytes()), zip64);
        refused(&with_end_field(16, &u32::MAX.to_le_bytes()), zip64);
    }

    /// Offsets of the central records of `bytes`, in order (the archive is well formed).
    fn records(bytes: &[u8]) -> Vec<usize> {
        let end = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN;
        let mut at = u32_at(bytes, end + 16).expect("offset") as usize;
        let mut found = Vec::new();
        while at < end {
            found.push(at);
            let len = |field| usize::from(u16_at(bytes, at + field).expect("length"));
            at += CENTRAL_HEADER_LEN + len(28) + len(30) + len(32);
        }
        found
    }

    /// Insert `data` as record `index`'s extra field (`field` 30) or comment (`field` 32), growing
    /// the directory size to match.
    fn with_record_data(bytes: &[u8], index: usize, field: usize, data: &[u8]) -> Vec<u8> {
        let mut bytes = bytes.to_vec();
        let at = records(&bytes)[index];
        let len = |field| usize::from(u16_at(&bytes, at + field).expect("length"));
        let insert_at =
            at + CENTRAL_HEADER_LEN + len(28) + len(30) + if field == 32 { len(32) } else { 0 };
        let grown = (len(field) + data.len()) as u16;
        bytes[at + field..at + field + 2].copy_from_slice(&grown.to_le_bytes());
        bytes.splice(insert_at..insert_at, data.iter().copied());
        grow_directory(&mut bytes, data.len() as u32);
        bytes
    }

    #[test]
    fn extra_fields_and_comments_are_stepped_over() {
        let bytes = with_record_data(&archive(), 0, 30, &[0xfe, 0xca, 0, 0]);
        let bytes = with_record_data(&bytes, 1, 32, b"hi");
        let entries = central_directory(&bytes, 10).expect("walks");
        let names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
        assert_eq!(names, [b"a.recipe.json", b"b.recipe.json"]);
    }

    #[test]
    fn an_empty_archive_walks_and_one_not_starting_with_a_local_header_does_not() {
        let empty = ZipWriter::new(Cursor::new(Vec::new()))
            .finish()
            .expect("finish")
            .into_inner();
        assert_eq!(central_directory(&empty, 10).map(|e| e.len()), Ok(0));
        let mut bytes = archive();
        bytes[0] = b'Q';
        refused(
            &bytes,
            "the archive does not start with a local file header",
        );
    }

    #[test]
    fn a_damaged_record_signature_is_refused() {
        let mut bytes = archive();
        let second = records(&bytes)[1];
        bytes[second] = b'Q';
        refused(&bytes, "a central directory record is damaged");
    }

    #[test]
    fn each_zip64_entry_marker_is_refused_alone() {
        for field in [20, 24, 42] {
            let mut bytes = archive();
            let first = records(&bytes)[0];
            bytes[first + field..first + field + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            refused(&bytes, "zip64 entries are not supported");
        }
    }

    /// A one-entry archive.
    fn single() -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        writer
            .start_file("a.recipe.json", SimpleFileOptions::default())
            .expect("entry");
        writer.write_all(b"{}").expect("data");
        writer.finish().expect("finish").into_inner()
    }

    /// Grow the directory size in the end record by `by` bytes (which the caller inserted).
    fn grow_directory(bytes: &mut [u8], by: u32) {
        let end = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN;
        let size = u32_at(bytes, end + 12).expect("size") + by;
        bytes[end + 12..end + 16].copy_from_slice(&size.to_le_bytes());
    }

    #[test]
    fn a_record_ending_exactly_at_the_end_of_the_directory_is_read() {
        // The name removed from the central record: a bare 46-byte record, read (and refused later
        // as an unsafe path by `read`).
        let mut bytes = single();
        let at = records(&bytes)[0];
        let name_len = usize::from(u16_at(&bytes, at + 28).expect("length"));
        let name_start = at + CENTRAL_HEADER_LEN;
        bytes.drain(name_start..name_start + name_len);
        bytes[at + 28..at + 30].copy_from_slice(&0_u16.to_le_bytes());
        let end = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN;
        let size = u32_at(&bytes, end + 12).expect("size") - name_len as u32;
        bytes[end + 12..end + 16].copy_from_slice(&size.to_le_bytes());
        let entries = central_directory(&bytes, 10).expect("walks");
        assert_eq!(entries.len(), 1);
        assert!(entries[0].name.is_empty());
    }

    #[test]
    fn a_record_too_short_for_its_header_is_damaged_even_with_its_signature() {
        let mut bytes = single();
        let end = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN;
        bytes.splice(end..end, CENTRAL_HEADER_SIGNATURE.to_le_bytes());
        grow_directory(&mut bytes, 4);
        let end = bytes.len() - END_OF_CENTRAL_DIRECTORY_LEN;
        bytes[end + 8..end + 12].copy_from_slice(&[2, 0, 2, 0]);
        refused(&bytes, "a central directory record is damaged");
    }
}
