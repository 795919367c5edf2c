//! The two Python list behaviours the reference Seaquest relies on, so that ours visits and
//! removes objects exactly as it does.
//!
//! The reference loops `for item in reversed(items)` while removing from `items` with
//! `items.remove(item)`, which removes the *first element equal in value*, not necessarily
//! `item` itself. When an earlier equal element goes instead, `item` stays in the list one
//! place earlier and the loop meets it again. CPython's reverse iterator keeps an index: it
//! yields `items[i]` and steps to i − 1, and stops as soon as i is negative or past the end.

/// The position `for item in reversed(items)` visits next.
#[derive(Debug, Clone, Copy)]
pub struct ReversedCursor {
    next: isize,
}

impl ReversedCursor {
    /// Starts at the last element of a list of `len` elements.
    pub fn new(len: usize) -> Self {
        ReversedCursor { next: len as isize - 1 }
    }

    /// The index of the next element of a list that now has `len` elements, if any.
    pub fn next(&mut self, len: usize) -> Option<usize> {
        if self.next < 0 || self.next as usize >= len {
            self.next = -1;
            return None;
        }
        let i = self.next as usize;
        self.next -= 1;
        Some(i)
    }
}

/// `items.remove(value)`: removes the first element equal to `value` and returns its index.
pub fn remove_first_equal<T: PartialEq>(items: &mut Vec<T>, value: &T) -> Option<usize> {
    let i = items.iter().position(|x| x == value)?;
    items.remove(i);
    Some(i)
}

/// Where an element visited at `at` is after `items.remove(value)` of its own (current)
/// value: gone if it was the first equal one, else still there one place earlier.
pub fn remove_self(items: &mut Vec<impl PartialEq + Copy>, at: usize) -> Option<usize> {
    let value = items[at];
    match remove_first_equal(items, &value) {
        Some(i) if i < at => Some(at - 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_an_earlier_equal_element_revisits_the_current_one() {
        // Python: xs = [7, 1, 7]; for x in reversed(xs): seen.append(x); xs.remove(x) if x == 7
        // visits 7 (index 2, removing index 0), then xs = [1, 7] and index 1 is 7 again,
        // which removes itself; then index 0 is 1.
        let mut xs = vec![7, 1, 7];
        let mut seen = vec![];
        let mut cursor = ReversedCursor::new(xs.len());
        while let Some(i) = cursor.next(xs.len()) {
            seen.push((i, xs[i]));
            if xs[i] == 7 {
                let left = remove_self(&mut xs, i);
                assert_eq!(left, if seen.len() == 1 { Some(1) } else { None });
            }
        }
        assert_eq!(seen, vec![(2, 7), (1, 7), (0, 1)]);
        assert_eq!(xs, vec![1]);
    }

    #[test]
    fn the_cursor_stops_when_the_list_shrinks_below_it() {
        let mut cursor = ReversedCursor::new(3);
        assert_eq!(cursor.next(3), Some(2));
        assert_eq!(cursor.next(1), None);
        assert_eq!(cursor.next(3), None, "once stopped it stays stopped in CPython too");
    }
}
