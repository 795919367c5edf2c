//! A 10 × 10 boolean map as the bits of one `u128`: cell (row y, column x) is bit 10·y + x.
//! Whole-map moves (numpy's `np.roll` of the reference games) are shifts and masks.

use crate::Obs;

/// The side of every MinAtar map.
pub const SIDE: usize = 10;

/// Cells of one channel of an observation.
pub const CELLS: usize = SIDE * SIDE;

const ALL: u128 = (1 << CELLS) - 1;
const ROW0: u128 = (1 << SIDE) - 1;
/// Column 0 of every row.
const COLUMN0: u128 = {
    let mut mask = 0;
    let mut y = 0;
    while y < SIDE {
        mask |= 1 << (SIDE * y);
        y += 1;
    }
    mask
};
const COLUMN9: u128 = COLUMN0 << (SIDE - 1);

/// A 10 × 10 map of booleans. Saved as its ten rows, each a mask of 10 bits (bit x: column
/// x), so that a saved state shows the map and cannot set cells outside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "[u16; SIDE]", try_from = "[u16; SIDE]")]
pub struct Grid(u128);

impl From<Grid> for [u16; SIDE] {
    fn from(g: Grid) -> Self {
        std::array::from_fn(|y| ((g.0 >> (SIDE * y)) & ROW0) as u16)
    }
}

impl TryFrom<[u16; SIDE]> for Grid {
    type Error = String;

    fn try_from(rows: [u16; SIDE]) -> Result<Self, String> {
        if let Some(y) = rows.iter().position(|&row| u128::from(row) & !ROW0 != 0) {
            return Err(format!("row {y} of a 10 × 10 map, {}, sets cells beyond column 9", rows[y]));
        }
        Ok(Grid(rows.iter().rev().fold(0, |g, &row| (g << SIDE) | u128::from(row))))
    }
}

impl Grid {
    pub const EMPTY: Grid = Grid(0);

    /// The cells with rows in `rows` and columns in `columns` set (both half-open).
    pub fn block(rows: std::ops::Range<usize>, columns: std::ops::Range<usize>) -> Grid {
        let row = ((1u128 << columns.end) - 1) & !((1u128 << columns.start) - 1);
        Grid(rows.fold(0, |g, y| g | (row << (SIDE * y))))
    }

    pub fn get(self, y: usize, x: usize) -> bool {
        self.0 >> (SIDE * y + x) & 1 == 1
    }

    pub fn set(&mut self, y: usize, x: usize) {
        self.0 |= 1 << (SIDE * y + x);
    }

    pub fn clear(&mut self, y: usize, x: usize) {
        self.0 &= !(1 << (SIDE * y + x));
    }

    /// Number of cells set (`np.count_nonzero`).
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn row_any(self, y: usize) -> bool {
        self.0 & (ROW0 << (SIDE * y)) != 0
    }

    pub fn column_any(self, x: usize) -> bool {
        self.0 & (COLUMN0 << x) != 0
    }

    /// The lowest (largest) row set in column `x`, if any.
    pub fn lowest_in_column(self, x: usize) -> Option<usize> {
        let column = (self.0 >> x) & COLUMN0;
        (column != 0).then(|| (127 - column.leading_zeros() as usize) / SIDE)
    }

    /// Cells set in both.
    pub fn and(self, other: Grid) -> Grid {
        Grid(self.0 & other.0)
    }

    /// Cells set here and not in `other`.
    pub fn without(self, other: Grid) -> Grid {
        Grid(self.0 & !other.0)
    }

    /// Every row moves up one; row 0 leaves the map and row 9 is empty
    /// (`np.roll(m, -1, axis=0)` then `m[9, :] = 0`).
    pub fn shifted_up(self) -> Grid {
        Grid(self.0 >> SIDE)
    }

    /// Every row moves down one; row 9 leaves the map and row 0 is empty
    /// (`np.roll(m, 1, axis=0)` then `m[0, :] = 0`).
    pub fn shifted_down(self) -> Grid {
        Grid((self.0 << SIDE) & ALL)
    }

    /// Every row moves down one and row 9 wraps round to row 0 (`np.roll(m, 1, axis=0)`).
    pub fn rolled_down(self) -> Grid {
        Grid(((self.0 << SIDE) & ALL) | (self.0 >> (CELLS - SIDE)))
    }

    /// Every column moves right (`by` = +1) or left (−1), wrapping round
    /// (`np.roll(m, by, axis=1)`).
    pub fn rolled_sideways(self, by: i32) -> Grid {
        if by > 0 {
            Grid(((self.0 << 1) & !COLUMN0 & ALL) | ((self.0 & COLUMN9) >> (SIDE - 1)))
        } else {
            Grid(((self.0 >> 1) & !COLUMN9) | ((self.0 & COLUMN0) << (SIDE - 1)))
        }
    }

    /// Writes 1 into `channel` (100 cells, row-major) at every cell set; others untouched.
    pub fn write<O: Obs>(self, channel: &mut [O]) {
        let mut bits = self.0;
        while bits != 0 {
            channel[bits.trailing_zeros() as usize] = O::from_byte(1, 1.0);
            bits &= bits - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same map as a plain array, moved cell by cell as `np.roll` does.
    fn cells(g: Grid) -> [[bool; SIDE]; SIDE] {
        std::array::from_fn(|y| std::array::from_fn(|x| g.get(y, x)))
    }

    fn sample() -> Grid {
        let mut g = Grid::EMPTY;
        for (y, x) in [(0, 0), (0, 9), (3, 4), (9, 0), (9, 9), (5, 9), (7, 0)] {
            g.set(y, x);
        }
        g
    }

    #[test]
    fn shifts_and_rolls_move_cells_like_np_roll() {
        let g = sample();
        let c = cells(g);
        for y in 0..SIDE {
            for x in 0..SIDE {
                assert_eq!(g.shifted_up().get(y, x), y < 9 && c[y + 1][x], "up {y} {x}");
                assert_eq!(g.shifted_down().get(y, x), y > 0 && c[y - 1][x], "down {y} {x}");
                assert_eq!(g.rolled_down().get(y, x), c[(y + 9) % 10][x], "roll down {y} {x}");
                assert_eq!(g.rolled_sideways(1).get(y, x), c[y][(x + 9) % 10], "right {y} {x}");
                assert_eq!(g.rolled_sideways(-1).get(y, x), c[y][(x + 1) % 10], "left {y} {x}");
            }
        }
    }

    #[test]
    fn a_map_is_saved_row_by_row_and_rows_beyond_the_map_are_refused() {
        let g = sample();
        let rows: [u16; SIDE] = g.into();
        assert_eq!(rows[0], 1 | 1 << 9);
        assert_eq!(rows[3], 1 << 4);
        assert_eq!(Grid::try_from(rows), Ok(g));
        let mut bad = rows;
        bad[2] = 1 << 10;
        assert!(Grid::try_from(bad).unwrap_err().contains("row 2"));
    }

    #[test]
    fn blocks_rows_columns_and_counts() {
        let b = Grid::block(0..4, 2..8);
        assert_eq!(b.count(), 24);
        assert!(b.get(0, 2) && b.get(3, 7) && !b.get(4, 2) && !b.get(0, 1) && !b.get(0, 8));
        let g = sample();
        assert_eq!(g.count(), 7);
        assert!(g.row_any(9) && !g.row_any(1) && g.column_any(9) && !g.column_any(1));
        assert_eq!((g.lowest_in_column(0), g.lowest_in_column(4), g.lowest_in_column(5)), (Some(9), Some(3), None));
        let mut channel = [0u8; CELLS];
        g.write(&mut channel);
        assert_eq!(channel.iter().filter(|&&v| v == 1).count(), 7);
        assert_eq!(channel[34], 1);
    }
}
