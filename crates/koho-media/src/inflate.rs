//! A small, bounded zlib/DEFLATE decoder (RFC 1950/1951) for compressed PNG
//! text chunks, which may carry EXIF or XMP with GPS.
//!
//! Only metadata is decompressed here, never pixels. Output is capped by the
//! caller's `limit`; any error or overflow of the cap yields `None`.
//! Every loop consumes input bits or stops at the cap, so decoding
//! terminates on arbitrary input.

use crate::crc::adler32;

const MAX_BITS: usize = 15;

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Read `n` (≤ 16) bits, least significant first.
    fn bits(&mut self, n: u32) -> Option<u32> {
        while self.count < n {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            self.buf |= u32::from(byte) << self.count;
            self.count += 8;
        }
        let value = self.buf & ((1u32 << n) - 1);
        self.buf >>= n;
        self.count -= n;
        Some(value)
    }

    /// Drop the bits left in the current byte.
    fn align(&mut self) {
        self.buf = 0;
        self.count = 0;
    }
}

/// A canonical Huffman code in the form used by zlib's `puff`.
struct Huffman {
    counts: [u16; MAX_BITS + 1],
    symbols: Vec<u16>,
}

impl Huffman {
    /// Build from code lengths; `None` when the lengths over-subscribe the code.
    fn new(lengths: &[u8]) -> Option<Self> {
        let mut counts = [0u16; MAX_BITS + 1];
        for &len in lengths {
            *counts.get_mut(usize::from(len))? += 1;
        }
        let mut left: i32 = 1;
        for &count in counts.iter().skip(1) {
            left = (left << 1) - i32::from(count);
            if left < 0 {
                return None;
            }
        }
        let mut offsets = [0u16; MAX_BITS + 2];
        for len in 1..=MAX_BITS {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len != 0 {
                let slot = &mut offsets[usize::from(len)];
                *symbols.get_mut(usize::from(*slot))? = u16::try_from(symbol).ok()?;
                *slot += 1;
            }
        }
        Some(Self { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..=MAX_BITS {
            code |= i32::try_from(bits.bits(1)?).ok()?;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                let at = usize::try_from(index + (code - first)).ok()?;
                return self.symbols.get(at).copied();
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        None
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Decompress a zlib stream (as in PNG `zTXt`/`iTXt`), producing at most `limit` bytes.
///
/// # Errors
/// The number of bytes produced before the stream turned out invalid,
/// exceeded `limit` or failed its checksum (a measure of the work done).
pub(crate) fn zlib_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, usize> {
    let mut out = Vec::new();
    match zlib_into(data, limit, &mut out) {
        Some(()) => Ok(out),
        None => Err(out.len()),
    }
}

fn zlib_into(data: &[u8], limit: usize, out: &mut Vec<u8>) -> Option<()> {
    let cmf = *data.first()?;
    let flg = *data.get(1)?;
    if cmf & 0x0F != 8 || cmf >> 4 > 7 || (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0 {
        return None;
    }
    if flg & 0x20 != 0 {
        return None; // preset dictionary: not used by PNG
    }
    let mut bits = Bits::new(data.get(2..)?);
    inflate(&mut bits, limit, out)?;
    bits.align();
    let trailer = bits.data.get(bits.pos..bits.pos.checked_add(4)?)?;
    let expected = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    (adler32(out) == expected).then_some(())
}

fn inflate(bits: &mut Bits<'_>, limit: usize, out: &mut Vec<u8>) -> Option<()> {
    loop {
        let last = bits.bits(1)? == 1;
        match bits.bits(2)? {
            0 => stored(bits, out, limit)?,
            1 => {
                let (lit, dist) = fixed_tables()?;
                codes(bits, out, limit, &lit, &dist)?;
            }
            2 => {
                let (lit, dist) = dynamic_tables(bits)?;
                codes(bits, out, limit, &lit, &dist)?;
            }
            _ => return None,
        }
        if last {
            return Some(());
        }
    }
}

fn stored(bits: &mut Bits<'_>, out: &mut Vec<u8>, limit: usize) -> Option<()> {
    bits.align();
    let header = bits.data.get(bits.pos..bits.pos.checked_add(4)?)?;
    let len = u16::from_le_bytes([header[0], header[1]]);
    let nlen = u16::from_le_bytes([header[2], header[3]]);
    if len != !nlen {
        return None;
    }
    let start = bits.pos + 4;
    let block = bits.data.get(start..start + usize::from(len))?;
    if out.len() + block.len() > limit {
        return None;
    }
    out.extend_from_slice(block);
    bits.pos = start + usize::from(len);
    Some(())
}

fn fixed_tables() -> Option<(Huffman, Huffman)> {
    let mut lengths = [0u8; 288];
    for (symbol, len) in lengths.iter_mut().enumerate() {
        *len = match symbol {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    Some((Huffman::new(&lengths)?, Huffman::new(&[5u8; 30])?))
}

fn dynamic_tables(bits: &mut Bits<'_>) -> Option<(Huffman, Huffman)> {
    let nlen = usize::try_from(bits.bits(5)?).ok()? + 257;
    let ndist = usize::try_from(bits.bits(5)?).ok()? + 1;
    let ncode = usize::try_from(bits.bits(4)?).ok()? + 4;
    if nlen > 286 || ndist > 30 {
        return None;
    }
    let mut code_lengths = [0u8; 19];
    for &at in CODE_LENGTH_ORDER.iter().take(ncode) {
        code_lengths[at] = u8::try_from(bits.bits(3)?).ok()?;
    }
    let code_length_code = Huffman::new(&code_lengths)?;
    let mut lengths = [0u8; 316];
    let mut index = 0;
    while index < nlen + ndist {
        let symbol = code_length_code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (u8::try_from(symbol).ok()?, 1),
            16 => (*lengths.get(index.checked_sub(1)?)?, 3 + bits.bits(2)?),
            17 => (0, 3 + bits.bits(3)?),
            18 => (0, 11 + bits.bits(7)?),
            _ => return None,
        };
        for _ in 0..repeat {
            if index >= nlen + ndist {
                return None;
            }
            lengths[index] = value;
            index += 1;
        }
    }
    if lengths[256] == 0 {
        return None;
    }
    Some((
        Huffman::new(&lengths[..nlen])?,
        Huffman::new(&lengths[nlen..nlen + ndist])?,
    ))
}

fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    limit: usize,
    lit: &Huffman,
    dist: &Huffman,
) -> Option<()> {
    loop {
        let symbol = usize::from(lit.decode(bits)?);
        match symbol {
            0..=255 => {
                if out.len() >= limit {
                    return None;
                }
                out.push(u8::try_from(symbol).ok()?);
            }
            256 => return Some(()),
            _ => {
                let at = symbol - 257;
                let len = usize::from(*LEN_BASE.get(at)?)
                    + usize::try_from(bits.bits(u32::from(*LEN_EXTRA.get(at)?))?).ok()?;
                let dsym = usize::from(dist.decode(bits)?);
                let distance = usize::from(*DIST_BASE.get(dsym)?)
                    + usize::try_from(bits.bits(u32::from(*DIST_EXTRA.get(dsym)?))?).ok()?;
                if distance > out.len() || out.len() + len > limit {
                    return None;
                }
                let from = out.len() - distance;
                for i in 0..len {
                    let byte = *out.get(from + i)?;
                    out.push(byte);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_block() {
        // zlib header, final stored block "abc", adler32("abc").
        let mut z = vec![0x78, 0x01, 0x01, 3, 0, !3, 0xFF, b'a', b'b', b'c'];
        z.extend_from_slice(&adler32(b"abc").to_be_bytes());
        assert_eq!(zlib_decompress(&z, 100).as_deref(), Ok(&b"abc"[..]));
        assert_eq!(zlib_decompress(&z, 2), Err(0), "limit is enforced");
    }

    #[test]
    fn fixed_huffman_block() {
        // zlib.compress(b"hello hello hello hello", 9) from CPython.
        let z = [
            0x78, 0xDA, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57, 0xC8, 0x40, 0x27, 0x01, 0x68, 0x03,
            0x08, 0xB1,
        ];
        assert_eq!(
            zlib_decompress(&z, 1000).as_deref(),
            Ok(&b"hello hello hello hello"[..])
        );
    }

    #[test]
    fn rejects_garbage_and_bad_checksum() {
        assert_eq!(zlib_decompress(&[], 10), Err(0));
        assert_eq!(zlib_decompress(&[0x78], 10), Err(0));
        assert!(zlib_decompress(&[0x78, 0xDA, 0xFF, 0xFF, 0xFF], 10).is_err());
        let mut z = vec![0x78, 0x01, 0x01, 3, 0, !3, 0xFF, b'a', b'b', b'c'];
        z.extend_from_slice(&(adler32(b"abc") ^ 1).to_be_bytes());
        assert_eq!(
            zlib_decompress(&z, 100),
            Err(3),
            "checksum failure after 3 bytes"
        );
    }

    #[test]
    fn garbage_terminates() {
        let mut state = 0x1234_5678u32;
        for round in 0..2000u32 {
            let mut data = vec![0x78, 0x9C];
            for _ in 0..(round % 200) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                data.push(state as u8);
            }
            let _ = zlib_decompress(&data, 1 << 16);
        }
    }
}
