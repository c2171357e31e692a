//! Short ids a person can type back, as git abbreviates hashes.
//!
//! Record and group ids are UUIDv7: their first 12 hex digits are a timestamp, so ids
//! made together share a long prefix and a prefix of the id names nothing. The short form
//! is instead a prefix of the id's *random* part: bytes 9..16, which UUIDv7 fills with
//! random bits only (byte 6 holds the version, byte 8 the variant). In the hyphenated id
//! `0192f0c4-7a1e-7c3a-9d5e-3f1b2a4c5d6e` it is the 14 digits `5e3f1b2a4c5d6e`.
//!
//! To find a short form quickly among a million records, the `short_ids` table keys
//! every record by its *random key*: the id rotated so that its random part comes first
//! (see [`random_key`]). A short form is then a range scan, and the shortest unique short
//! form of an id is found from its two neighbours in that table.
//!
//! Stability: the rotation is the key layout of the `short_ids` table.

/// Where an id's random part starts (byte 9; see the module docs).
const RANDOM_START: usize = 9;

/// The fewest hex digits a printed short id has. At 1,000,000 records, 8 digits of
/// random bits (4 billion values) leave a new record a 1 in 4,000 chance of making an
/// earlier short id ambiguous; lookups then ask for more digits rather than guess.
pub const MIN_SHORT_LEN: usize = 8;

/// The fewest hex digits accepted when a person types a short id.
pub const MIN_TYPED_LEN: usize = 6;

/// The digits of the random part; a longer short id is the full id.
pub const MAX_SHORT_LEN: usize = 2 * (16 - RANDOM_START);

/// An id's bytes rotated so that its random part comes first.
pub(crate) fn random_key(id: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..16 - RANDOM_START].copy_from_slice(&id[RANDOM_START..]);
    key[16 - RANDOM_START..].copy_from_slice(&id[..RANDOM_START]);
    key
}

/// The id whose random key is `key` (the inverse of [`random_key`]).
pub(crate) fn id_of_random_key(key: &[u8; 16]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id[RANDOM_START..].copy_from_slice(&key[..16 - RANDOM_START]);
    id[..RANDOM_START].copy_from_slice(&key[16 - RANDOM_START..]);
    id
}

/// Whether `text` looks like a short id: hex digits only, between [`MIN_TYPED_LEN`] and
/// [`MAX_SHORT_LEN`] of them.
pub fn is_short_form(text: &str) -> bool {
    (MIN_TYPED_LEN..=MAX_SHORT_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first and last 16-byte keys that start with the hex digits `hex` (at most 32),
/// or `None` when `hex` is not hex.
pub(crate) fn hex_prefix_range(hex: &str) -> Option<([u8; 16], [u8; 16])> {
    if hex.len() > 32 {
        return None;
    }
    let mut start = [0u8; 16];
    let mut end = [0xFFu8; 16];
    for (i, digit) in hex.chars().enumerate() {
        let n = digit.to_digit(16)? as u8;
        let byte = i / 2;
        if i % 2 == 0 {
            start[byte] = n << 4;
            end[byte] = (n << 4) | 0x0F;
        } else {
            start[byte] |= n;
            end[byte] = start[byte];
        }
    }
    Some((start, end))
}

/// Lowercase hex of a key.
fn hex(key: &[u8; 16]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// The shortest short form of `key` that its neighbours in key order (the keys just
/// before and after it) do not share: unique among all keys.
pub(crate) fn shortest_unique(key: &[u8; 16], neighbours: &[[u8; 16]]) -> Option<String> {
    let own = hex(key);
    let shared = neighbours
        .iter()
        .map(|n| own.bytes().zip(hex(n).bytes()).take_while(|(a, b)| a == b).count())
        .max()
        .unwrap_or(0);
    let len = (shared + 1).max(MIN_SHORT_LEN);
    (len <= MAX_SHORT_LEN).then(|| own[..len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_random_key_rotation_round_trips(id in any::<[u8; 16]>()) {
            prop_assert_eq!(id_of_random_key(&random_key(&id)), id);
        }

        #[test]
        fn a_hex_prefix_range_holds_exactly_the_keys_with_that_prefix(key in any::<[u8; 16]>(), len in 1usize..=32) {
            let text = hex(&key)[..len].to_string();
            let (start, end) = hex_prefix_range(&text).unwrap();
            prop_assert!(start <= key && key <= end);
            prop_assert!(hex(&start).starts_with(&text) && hex(&end).starts_with(&text));
        }
    }

    #[test]
    fn the_short_form_is_the_random_part_of_the_printed_id() {
        let id: crate::RecordId = "0192f0c4-7a1e-7c3a-9d5e-3f1b2a4c5d6e".parse().unwrap();
        let short = shortest_unique(&random_key(id.as_bytes()), &[]).unwrap();
        assert_eq!(short, "5e3f1b2a");
        assert!(id.to_string().replace('-', "").contains(&short));
    }

    #[test]
    fn a_neighbour_sharing_digits_makes_the_short_form_longer() {
        let a = random_key(&[1; 16]);
        let mut b = a;
        b[5] ^= 0x01; // differs in the 12th hex digit
        assert_eq!(shortest_unique(&a, &[b]).unwrap().len(), 12);
    }

    #[test]
    fn text_that_is_not_hex_is_no_short_form() {
        assert!(!is_short_form("zz12345"));
        assert!(!is_short_form("12345"));
        assert!(is_short_form("5e3f1b2a"));
    }
}
