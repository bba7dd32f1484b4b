//! Byte encodings of sled keys: big-endian, so that range scans come out in order.

pub use crate::core::ids::ID_LEN;

pub fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub fn decode_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

pub fn decode_id(b: &[u8]) -> Option<[u8; ID_LEN]> {
    b.try_into().ok()
}

/// An entry of the candidate index: `shelf, blocking key, 0, order, subject id`. The shelf
/// ([`crate::core::disclosure::Shelf`]) is the kind of view the entry is filed for; the order
/// (4 bytes) is, on the barred shelf, the last day the public view shows the subject (year as
/// u16, month, day; zeros when it never does), so that the public view reads from its today
/// on; zeros on the other shelves. Blocking keys hold no NUL, so all entries of one key on one
/// shelf sit together, in that order, and [`index_shelf_range`] finds exactly them.
pub fn index_entry(
    shelf: u8,
    blocking_key: &str,
    order: Option<crate::core::identity::Date>,
    id: &[u8; ID_LEN],
) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + blocking_key.len() + 1 + ORDER_LEN + ID_LEN);
    k.push(shelf);
    k.extend_from_slice(blocking_key.as_bytes());
    k.push(0);
    k.extend_from_slice(&order_bytes(order));
    k.extend_from_slice(id);
    k
}

/// Bytes of an index entry's order.
const ORDER_LEN: usize = 4;

fn order_bytes(d: Option<crate::core::identity::Date>) -> [u8; ORDER_LEN] {
    d.and_then(|d| {
        u16::try_from(d.year).ok().map(|y| {
            let [a, b] = y.to_be_bytes();
            [a, b, d.month, d.day]
        })
    })
    .unwrap_or_default()
}

/// The entries of `blocking_key` on `shelf` whose order is `from` or later (all of them for
/// `None`), as the bounds of a range: `[start, end)`.
pub fn index_shelf_range(
    shelf: u8,
    blocking_key: &str,
    from: Option<crate::core::identity::Date>,
) -> (Vec<u8>, Vec<u8>) {
    let mut start = Vec::with_capacity(1 + blocking_key.len() + 1 + ORDER_LEN);
    start.push(shelf);
    start.extend_from_slice(blocking_key.as_bytes());
    let mut end = start.clone();
    start.push(0);
    if let Some(from) = from {
        start.extend_from_slice(&order_bytes(Some(from)));
    }
    end.push(1);
    (start, end)
}

/// The key of the key filter for `blocking_key`: the key and a 0, whatever the shelf.
pub fn index_prefix(blocking_key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(blocking_key.len() + 1);
    k.extend_from_slice(blocking_key.as_bytes());
    k.push(0);
    k
}

/// The value of an index entry: the listed person's date of birth (`year` as u16, month, day;
/// 0 for an unknown month or day), so a check can pass over candidates whose date rules them out
/// without fetching them; nothing when the date is unknown (or the year is out of range). Then
/// one byte: which views show the subject ([`crate::core::disclosure::Audiences`]; bit 0 the
/// public view), so that a check passes over the entries its caller may not see unfetched, as
/// it would a stranger's. Then, when the public view may show the subject (bit 6 of that byte
/// says so), the last day it does (year as u16, month, day), so that a public check passes over
/// an entry past its window unfetched too.
///
/// The date's first byte (a year from 1850 to 2200: 0x07 or 0x08) never has the views byte's
/// mark (0x80), which tells the two layouts of five bytes apart.
pub fn index_value(
    dob: Option<crate::core::identity::Date>,
    audiences: u8,
    public_until: Option<crate::core::identity::Date>,
) -> Vec<u8> {
    let date = |d: crate::core::identity::Date| {
        u16::try_from(d.year).ok().map(|y| {
            let [a, b] = y.to_be_bytes();
            [a, b, d.month, d.day]
        })
    };
    let mut v = dob.and_then(date).map_or_else(Vec::new, |d| d.to_vec());
    match public_until.and_then(date) {
        Some(end) => {
            v.push(audiences | crate::core::disclosure::Audiences::PUBLIC_UNTIL);
            v.extend_from_slice(&end);
        }
        None => v.push(audiences & !crate::core::disclosure::Audiences::PUBLIC_UNTIL),
    }
    v
}

/// A date of birth as [`index_value`] keeps it, alone (nothing when unknown or out of range);
/// [`index_value_dob`] reads it back.
pub fn dob_value(dob: Option<crate::core::identity::Date>) -> Vec<u8> {
    dob.and_then(|d| {
        u16::try_from(d.year).ok().map(|y| {
            let [a, b] = y.to_be_bytes();
            vec![a, b, d.month, d.day]
        })
    })
    .unwrap_or_default()
}

/// Where [`index_value`]'s views byte is: first, or after the date of birth.
fn audiences_at(value: &[u8]) -> Option<usize> {
    match value.first()? {
        f if f & crate::core::disclosure::Audiences::MARK != 0 || value.len() == 1 => Some(0),
        _ if value.len() >= 5 => Some(4),
        _ => None,
    }
}

fn date_at(value: &[u8], at: usize) -> Option<crate::core::identity::Date> {
    match value.get(at..at + 4)? {
        [a, b, m, d] => Some(crate::core::identity::Date::new(
            i32::from(u16::from_be_bytes([*a, *b])),
            *m,
            *d,
        )),
        _ => None,
    }
}

/// Reads [`index_value`]'s date; `None` for no date (or an unrecognised value).
pub fn index_value_dob(value: &[u8]) -> Option<crate::core::identity::Date> {
    match (audiences_at(value), value.len()) {
        (Some(4), _) => date_at(value, 0),
        // An older index's value: the date alone.
        (None, 4) => date_at(value, 0),
        _ => None,
    }
}

/// Reads [`index_value`]'s last day of the public view, when it has one.
pub fn index_value_public_until(value: &[u8]) -> Option<crate::core::identity::Date> {
    let at = audiences_at(value)?;
    let a = *value.get(at)?;
    if a & crate::core::disclosure::Audiences::MARK == 0
        || a & crate::core::disclosure::Audiences::PUBLIC_UNTIL == 0
    {
        return None;
    }
    date_at(value, at + 1)
}

/// Whether [`index_value`] says the public view shows the subject. A value without the flag
/// (index format 7 or before) says yes: the lookup is made, as it was.
pub fn index_value_published(value: &[u8]) -> bool {
    index_value_audiences(value).published()
}

/// Reads [`index_value`]'s views. A value without the byte (index format 7 or before) says
/// every view may show the subject: the lookup is made, as it was.
pub fn index_value_audiences(value: &[u8]) -> crate::core::disclosure::Audiences {
    crate::core::disclosure::Audiences(
        audiences_at(value)
            .and_then(|at| value.get(at).copied())
            .unwrap_or(1),
    )
}

/// The key filter's key of an index entry ([`index_prefix`] of its blocking key): the entry
/// without its shelf, order and subject id.
pub fn index_entry_prefix(entry: &[u8]) -> Option<&[u8]> {
    entry.get(1..entry.len().checked_sub(ORDER_LEN + ID_LEN)?)
}

/// The shelf an index entry is filed on.
pub fn index_entry_shelf(entry: &[u8]) -> Option<u8> {
    entry.first().copied()
}

/// The subject id at the end of an index entry.
pub fn index_entry_id(entry: &[u8]) -> Option<[u8; ID_LEN]> {
    let start = entry.len().checked_sub(ID_LEN)?;
    decode_id(entry.get(start..)?)
}

/// `id, sequence`: the audit events naming one subject, in order.
pub fn id_seq(id: &[u8; ID_LEN], seq: u64) -> [u8; ID_LEN + 8] {
    let mut k = [0u8; ID_LEN + 8];
    let (a, b) = k.split_at_mut(ID_LEN);
    a.copy_from_slice(id);
    b.copy_from_slice(&seq.to_be_bytes());
    k
}

/// `text, 0, sequence`: the audit events of one organisation, in order. Text holds no NUL.
pub fn text_seq(text: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(text.len() + 9);
    k.extend_from_slice(text.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The sequence at the end of an `id_seq` or `text_seq` key.
pub fn trailing_seq(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    decode_u64(key.get(start..)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn u64_round_trips_and_keeps_order(a: u64, b: u64) {
            prop_assert_eq!(decode_u64(&u64_key(a)), Some(a));
            prop_assert_eq!(a.cmp(&b), u64_key(a).cmp(&u64_key(b)));
        }

        #[test]
        fn id_seq_round_trips_and_keeps_order(a: [u8; 16], s: u64, b: [u8; 16], t: u64) {
            let (ka, kb) = (id_seq(&a, s), id_seq(&b, t));
            prop_assert_eq!(trailing_seq(&ka), Some(s));
            prop_assert_eq!(ka.get(..16), Some(&a[..]));
            prop_assert_eq!((a, s).cmp(&(b, t)), ka.cmp(&kb));
        }

        #[test]
        fn text_seq_round_trips_and_keeps_order(a in "[^\u{0}]{0,20}", s: u64, b in "[^\u{0}]{0,20}", t: u64) {
            let (ka, kb) = (text_seq(&a, s), text_seq(&b, t));
            prop_assert_eq!(trailing_seq(&ka), Some(s));
            prop_assert_eq!((a.as_bytes(), s).cmp(&(b.as_bytes(), t)), ka.cmp(&kb));
        }

        #[test]
        fn index_entries_round_trip_and_group_by_shelf_and_key(
            k in "[a-z|0-9]{1,30}",
            id: [u8; 16],
            other in "[a-z|0-9]{1,30}",
            shelf in 1u8..6,
            order in proptest::option::of((1850i32..2200, 1u8..13, 1u8..29)),
            from in proptest::option::of((1850i32..2200, 1u8..13, 1u8..29)),
        ) {
            let date = |(y, m, d): (i32, u8, u8)| crate::core::identity::Date::new(y, m, d);
            let (order, from) = (order.map(date), from.map(date));
            let e = index_entry(shelf, &k, order, &id);
            prop_assert_eq!(index_entry_id(&e), Some(id));
            prop_assert_eq!(index_entry_shelf(&e), Some(shelf));
            prop_assert_eq!(index_entry_prefix(&e), Some(&index_prefix(&k)[..]));
            let within = |(start, end): (Vec<u8>, Vec<u8>)| start <= e && e < end;
            prop_assert!(within(index_shelf_range(shelf, &k, None)));
            // From a date: exactly the entries whose order is that day or later (an entry of
            // no date, 0, is before every day).
            prop_assert_eq!(
                within(index_shelf_range(shelf, &k, from)),
                from.is_none_or(|f| order.is_some_and(|o| o >= f))
            );
            prop_assert!(!within(index_shelf_range(shelf % 5 + 1, &k, None)));
            if other != k {
                prop_assert!(!within(index_shelf_range(shelf, &other, None)));
            }
        }
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;
    use crate::core::disclosure::Audiences as A;
    use crate::core::identity::Date;

    #[test]
    fn every_layout_of_an_index_value_reads_back() {
        let dob = Date::new(1980, 2, 29);
        let end = Date::new(2030, 2, 28);
        let shown = A::MARK | A::PUBLISHED | A::BARRED;
        for (d, a, e) in [
            (Some(dob), shown, Some(end)),
            (None, shown, Some(end)),
            (Some(dob), A::MARK | A::BARRED, None),
            (None, A::MARK | A::ADVISORY, None),
            (
                Some(Date::new(1850, 0, 0)),
                shown,
                Some(Date::new(2200, 12, 31)),
            ),
        ] {
            let v = index_value(d, a, e);
            assert_eq!(index_value_dob(&v), d, "{v:?}");
            assert_eq!(index_value_public_until(&v), e, "{v:?}");
            assert_eq!(index_value_audiences(&v).0 & !A::PUBLIC_UNTIL, a, "{v:?}");
        }
        // Older indexes' values: a date and a published flag, or the flag alone.
        let old = [0x07, 0xbc, 1, 2, 1];
        assert_eq!(index_value_dob(&old), Some(Date::new(1980, 1, 2)));
        assert_eq!(index_value_public_until(&old), None);
        assert!(index_value_published(&old));
        assert!(!index_value_published(&[0]));
    }
}
