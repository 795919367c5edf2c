//! Bytes saved as one hexadecimal string (`#[serde(with = "hex")]`) instead of an array of
//! numbers: an Atari game's saved state holds some 100,000 bytes (screens, frame stack, the
//! emulator's state), which as a JSON array takes about twice the text and a value per byte.

use serde::de::Error;
use serde::{Deserialize, Deserializer, Serializer};

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hexadecimal, two digits a byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 15)] as char);
    }
    text
}

/// The bytes of a hexadecimal string (either case), or what is wrong with it.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(format!("`{}` is not a hexadecimal digit", c as char)),
    };
    if !text.len().is_multiple_of(2) {
        return Err(format!("a hexadecimal string of bytes has an even length, not {}", text.len()));
    }
    text.as_bytes().chunks_exact(2).map(|pair| Ok(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&encode(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    decode(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// Two byte strings (the last two screens), as two hexadecimal strings.
pub mod pair {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(pair: &[Vec<u8>; 2], serializer: S) -> Result<S::Ok, S::Error> {
        [super::encode(&pair[0]), super::encode(&pair[1])].serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[Vec<u8>; 2], D::Error> {
        let [a, b] = <[String; 2]>::deserialize(deserializer)?;
        Ok([super::decode(&a).map_err(D::Error::custom)?, super::decode(&b).map_err(D::Error::custom)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_bad_strings_are_refused() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert_eq!(encode(&[0, 15, 16, 255]), "000f10ff");
        assert_eq!(decode("0A0b").unwrap(), vec![10, 11]);
        assert!(decode("abc").unwrap_err().contains("even length"));
        assert!(decode("0g").unwrap_err().contains("`g`"));
    }
}
