//! Small-number suppression for the public tier (`shared/domain/statistics.md`, "Small-number suppression";
//! `standards.md` 9.4).
//!
//! The rule, applied to the cells of one table:
//!
//! 1. **Primary**: a count `v` with `0 < v < threshold` is suppressed (threshold 5: counts 1 to 4). Zero is not
//!    suppressed. With `threshold <= 1` nothing is suppressed.
//! 2. **Secondary (complementary)**: cells are tied together in *groups*, each a set of cells whose sum is
//!    published (a row or a column of the table, with or without its total cell among the members; a group
//!    whose total is published elsewhere is treated the same way). A group holding exactly one suppressed
//!    member would let that member be recovered as total minus the published members, so another member of
//!    the group is suppressed as well: the smallest unsuppressed non-zero member; if there is none, the
//!    smallest unsuppressed zero member (a row of zeros around one small cell then shows two `[c]`). Ties go to
//!    the lower cell index. New suppressions may create new lone cells in other groups, so the pass repeats
//!    until nothing changes (a fixed point; each pass only adds suppressions, so it terminates).
//!    A group with a single member cannot be protected inside the table: its total must be suppressed where
//!    it is published; [`secondary_suppress`] reports such groups.
//!    Across tables ([`suppress_linked`]) the groups are linear relations over the cells of the whole
//!    publication (the same total in two tables, a category that is the sum of others, nested totals), and the
//!    lone-cell rule is followed by an exact check ([`super::recoverable`]): a cell that the relations still
//!    determine, e.g. as one total minus a nested one, takes a further cell with it, until none is determined.
//! 3. **Rounding** (optional, `round_to` 5 or 10): unsuppressed counts are rounded to the nearest multiple,
//!    halves upwards (e.g. 7.5 -> 10 with 5). Suppressed cells stay suppressed; zero stays zero.
//!
//! Values are `f64` so aoristic weights and float-typed count columns can be checked too; for whole counts the
//! primary rule is exactly "1 to threshold - 1".

/// Primary suppression: `true` where `0 < v < threshold`. Non-finite values are treated as suppressed.
pub fn primary_suppress(values: &[f64], threshold: u32) -> Vec<bool> {
    values.iter().map(|&v| is_primary(v, threshold)).collect()
}

/// Whether one value falls under the primary rule.
pub fn is_primary(v: f64, threshold: u32) -> bool {
    if !v.is_finite() {
        return true;
    }
    v > 0.0 && v < f64::from(threshold)
}

/// Result of secondary suppression: which cells are suppressed and which groups could not be protected.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// One flag per cell, primary and secondary together.
    pub suppressed: Vec<bool>,
    /// Cells suppressed only by the secondary rule, ascending.
    pub secondary: Vec<usize>,
    /// Indices (into `groups`) of groups left with a lone suppressed member and no other member to suppress.
    pub unprotected_groups: Vec<usize>,
}

/// Complementary suppression to a fixed point (see the module docs). `suppressed` starts as the primary flags
/// (one per value); `groups` lists cell indices; indices out of range are ignored.
pub fn secondary_suppress(values: &[f64], primary: &[bool], groups: &[Vec<usize>]) -> Suppression {
    let n = values.len();
    let mut suppressed: Vec<bool> = (0..n).map(|i| primary.get(i).copied().unwrap_or(false)).collect();
    let mut secondary = Vec::new();
    loop {
        let mut changed = false;
        for group in groups {
            let members: Vec<usize> = group.iter().copied().filter(|&i| i < n).collect();
            let lone = members.iter().filter(|&&i| suppressed[i]).count() == 1;
            if !lone {
                continue;
            }
            if let Some(pick) = complement_candidate(values, &suppressed, &members) {
                suppressed[pick] = true;
                secondary.push(pick);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    secondary.sort_unstable();
    secondary.dedup();
    let unprotected_groups = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.iter().filter(|&&i| i < n && suppressed[i]).count() == 1)
        .map(|(k, _)| k)
        .collect();
    Suppression { suppressed, secondary, unprotected_groups }
}

/// The member to suppress alongside a lone suppressed cell: smallest unsuppressed non-zero value, else the
/// smallest unsuppressed zero; ties to the lower index.
fn complement_candidate(values: &[f64], suppressed: &[bool], members: &[usize]) -> Option<usize> {
    let open = || members.iter().copied().filter(|&i| !suppressed[i]);
    let smallest = |it: &mut dyn Iterator<Item = usize>| {
        it.fold(None::<usize>, |best, i| match best {
            Some(b) if values[b] < values[i] || (values[b] == values[i] && b < i) => Some(b),
            _ => Some(i),
        })
    };
    smallest(&mut open().filter(|&i| values[i] != 0.0)).or_else(|| smallest(&mut open()))
}

/// Result of [`suppress_linked`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedSuppression {
    /// One flag per cell, primary and secondary together.
    pub suppressed: Vec<bool>,
    /// Cells suppressed only by the secondary rule, ascending.
    pub secondary: Vec<usize>,
    /// Suppressed cells the equations still determine, with no published cell left beside them to suppress
    /// (a relation whose total is known without being a cell of the publication); ascending.
    pub unprotected: Vec<usize>,
}

/// Complementary suppression over linear relations that may span several tables (a cell's index is its
/// place in the whole publication), to a fixed point:
///
/// 1. the lone-cell rule of [`secondary_suppress`], each equation's cells being a group;
/// 2. then the exact check ([`super::recoverable::determined_cells`]): a suppressed cell that the equations
///    still determine (e.g. a nested total minus its other parts, or a difference taken across two tables)
///    takes another cell with it: the smallest unsuppressed non-zero cell (else zero) of the equations it
///    appears in;
///
/// repeated until no suppressed cell is determined. Each round only adds suppressions, so it terminates.
pub fn suppress_linked(
    values: &[f64],
    primary: &[bool],
    equations: &[super::recoverable::Equation],
) -> Result<LinkedSuppression, super::recoverable::TooLarge> {
    let n = values.len();
    let groups: Vec<Vec<usize>> = equations
        .iter()
        .map(|eq| {
            let mut cells: Vec<usize> = eq.iter().filter(|(i, k)| *i < n && *k != 0).map(|(i, _)| *i).collect();
            cells.sort_unstable();
            cells.dedup();
            cells
        })
        .collect();
    let mut containing: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (g, cells) in groups.iter().enumerate() {
        for &i in cells {
            containing[i].push(g);
        }
    }
    let mut suppressed: Vec<bool> = (0..n).map(|i| primary.get(i).copied().unwrap_or(false)).collect();
    let mut unprotected = Vec::new();
    loop {
        suppressed = secondary_suppress(values, &suppressed, &groups).suppressed;
        let determined = super::recoverable::determined_cells(equations, &suppressed)?;
        let mut added = vec![false; n];
        let mut changed = false;
        unprotected.clear();
        for x in determined {
            let mut members: Vec<usize> = containing[x].iter().flat_map(|&g| groups[g].iter().copied()).collect();
            members.sort_unstable();
            members.dedup();
            // A cell suppressed beside x in this round may protect it already: the next round's check tells.
            if members.iter().any(|&m| added[m]) {
                continue;
            }
            match complement_candidate(values, &suppressed, &members) {
                Some(pick) => {
                    suppressed[pick] = true;
                    added[pick] = true;
                    changed = true;
                }
                None => unprotected.push(x),
            }
        }
        if !changed {
            break;
        }
    }
    let secondary = (0..n).filter(|&i| suppressed[i] && !primary.get(i).copied().unwrap_or(false)).collect();
    Ok(LinkedSuppression { suppressed, secondary, unprotected })
}

/// Primary then secondary suppression in one call.
pub fn suppress(values: &[f64], threshold: u32, groups: &[Vec<usize>]) -> Suppression {
    let primary = primary_suppress(values, threshold);
    secondary_suppress(values, &primary, groups)
}

/// Round a published count to the nearest multiple of `round_to` (halves up); `round_to` 0 or 1 leaves it.
pub fn round_count(v: f64, round_to: u32) -> f64 {
    if round_to <= 1 || !v.is_finite() {
        return v;
    }
    let step = f64::from(round_to);
    (v / step + 0.5).floor() * step
}

/// Groups for a rectangular table of `rows` x `cols` cells stored row-major: one group per row and one per
/// column. When the last column holds row totals and the last row column totals (the corner the grand
/// total), each group includes its total cell, so a group is one "members sum to total" equation.
pub fn grid_groups(rows: usize, cols: usize) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = (0..rows).map(|r| (0..cols).map(|c| r * cols + c).collect()).collect();
    groups.extend((0..cols).map(|c| (0..rows).map(|r| r * cols + c).collect()));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_is_one_to_threshold_minus_one() {
        let v = [0.0, 1.0, 4.0, 5.0, 4.5, 0.2, 100.0];
        assert_eq!(primary_suppress(&v, 5), vec![false, true, true, false, true, true, false]);
        assert_eq!(primary_suppress(&v, 0), vec![false; 7]);
        assert!(primary_suppress(&v, 10)[3]);
        assert!(is_primary(f64::NAN, 5));
    }

    #[test]
    fn two_by_two_with_totals_suppresses_the_complement() {
        // cells      total
        //  3   20  |  23
        // 12   30  |  42
        // 15   50  |  65
        let grid = [3.0, 20.0, 23.0, 12.0, 30.0, 42.0, 15.0, 50.0, 65.0];
        let s = suppress(&grid, 5, &grid_groups(3, 3));
        // 3 is primary; row 0 -> 20 (smaller than the total 23); column 0 -> 12 (smaller than 15);
        // column 1 now has 20 alone -> 30; row 1 then holds 12 and 30 (two): fixed point.
        assert!(s.suppressed[0]);
        assert!(s.suppressed[1], "row complement");
        assert!(s.suppressed[3], "column complement");
        assert!(s.suppressed[4], "the diagonal closes the rectangle");
        assert_eq!(s.secondary, vec![1, 3, 4]);
        assert!(!s.suppressed[2] && !s.suppressed[5] && !s.suppressed[6] && !s.suppressed[7] && !s.suppressed[8]);
        assert!(s.unprotected_groups.is_empty());
    }

    #[test]
    fn one_small_cell_among_zeros_takes_a_zero_with_it() {
        let row = [0.0, 3.0, 0.0, 0.0];
        let s = suppress(&row, 5, &[vec![0, 1, 2, 3]]);
        assert_eq!(s.suppressed, vec![true, true, false, false], "lowest-index zero");
        assert_eq!(s.secondary, vec![0]);
    }

    #[test]
    fn next_smallest_non_zero_is_preferred_with_ties_to_lower_index() {
        let row = [9.0, 0.0, 2.0, 7.0, 7.0];
        let s = suppress(&row, 5, &[vec![0, 1, 2, 3, 4]]);
        assert_eq!(s.suppressed, vec![false, false, true, true, false]);
        // Two primary cells in a group protect each other.
        let s = suppress(&[1.0, 2.0, 50.0], 5, &[vec![0, 1, 2]]);
        assert!(s.secondary.is_empty());
        // A single-member group cannot be protected inside the table.
        let s = suppress(&[2.0], 5, &[vec![0]]);
        assert_eq!(s.unprotected_groups, vec![0]);
    }

    #[test]
    fn linked_tables_are_suppressed_consistently() {
        // Area: offences(0) = in_wards(1) + outside(2); wards 3, 4, 5 sum to in_wards.
        let v = [627.0, 624.0, 3.0, 400.0, 200.0, 24.0];
        let eqs = vec![vec![(0, 1), (1, -1), (2, -1)], vec![(1, 1), (3, -1), (4, -1), (5, -1)]];
        let s = suppress_linked(&v, &primary_suppress(&v, 5), &eqs).unwrap();
        // outside is small; in_wards goes with it in the area row; then in_wards = the wards' sum, so the
        // smallest ward goes too (and nothing more: 3 unknowns, 2 equations).
        assert_eq!(s.suppressed, vec![false, true, true, false, false, true]);
        assert_eq!(s.secondary, vec![1, 5]);
        assert!(s.unprotected.is_empty());
        // Per table (the old rule), the wards would all have been published.
        let alone = suppress(&v, 5, &[vec![0, 1, 2]]);
        assert!(!alone.suppressed[5]);
    }

    #[test]
    fn a_nested_total_forces_a_third_cell() {
        // total(0) = a(2) + b(3) + c(4) + d(5); under(1) = a + b. a is small.
        // The lone-cell rule takes c (smallest in the total's row) then b (for under); then c = total - under
        // - d, so the exact check takes d as well.
        let v = [100.0, 20.0, 3.0, 17.0, 10.0, 70.0];
        let eqs = vec![vec![(0, 1), (2, -1), (3, -1), (4, -1), (5, -1)], vec![(1, 1), (2, -1), (3, -1)]];
        let s = suppress_linked(&v, &primary_suppress(&v, 5), &eqs).unwrap();
        assert!(crate::stats::recoverable::determined_cells(&eqs, &s.suppressed).unwrap().is_empty(), "{:?}", s.suppressed);
        assert_eq!(s.suppressed, vec![false, false, true, true, true, true]);
        // The lone-cell rule alone leaves c determined.
        let lone = suppress(&v, 5, &[vec![0, 2, 3, 4, 5], vec![1, 2, 3]]);
        assert_eq!(crate::stats::recoverable::determined_cells(&eqs, &lone.suppressed).unwrap(), vec![4]);
        // A relation with one cell (its total known from elsewhere) cannot be protected: reported.
        let s = suppress_linked(&[2.0], &[true], &[vec![(0, 1)]]).unwrap();
        assert_eq!(s.unprotected, vec![0]);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_count(7.0, 5), 5.0);
        assert_eq!(round_count(7.5, 5), 10.0);
        assert_eq!(round_count(8.0, 5), 10.0);
        assert_eq!(round_count(14.0, 10), 10.0);
        assert_eq!(round_count(15.0, 10), 20.0);
        assert_eq!(round_count(0.0, 10), 0.0);
        assert_eq!(round_count(13.0, 0), 13.0);
    }

    mod property {
        use super::super::*;
        use proptest::prelude::*;

        /// A random r x c table (2..6 each) of small counts, with its row totals, column totals and grand
        /// total appended as a last column and row.
        fn table() -> impl Strategy<Value = (usize, usize, Vec<f64>)> {
            (2usize..6, 2usize..6).prop_flat_map(|(r, c)| {
                proptest::collection::vec(prop_oneof![3 => 0u32..8, 1 => 0u32..40], r * c).prop_map(move |cells| {
                    let (rows, cols) = (r + 1, c + 1);
                    let mut g = vec![0.0; rows * cols];
                    for i in 0..r {
                        for j in 0..c {
                            let v = f64::from(cells[i * c + j]);
                            g[i * cols + j] = v;
                            g[i * cols + c] += v;
                            g[r * cols + j] += v;
                            g[r * cols + c] += v;
                        }
                    }
                    (rows, cols, g)
                })
            })
        }

        proptest! {
            #[test]
            fn nothing_small_is_published_or_derivable((rows, cols, grid) in table(), threshold in 2u32..8) {
                let groups = grid_groups(rows, cols);
                let s = suppress(&grid, threshold, &groups);
                for (i, &v) in grid.iter().enumerate() {
                    if !s.suppressed[i] {
                        prop_assert!(!(v > 0.0 && v < f64::from(threshold)), "published small count {v} at {i}");
                    }
                }
                // Each row (cells + its total) and column is one linear equation; a suppressed cell is
                // derivable by subtraction exactly when it is the only unknown in some equation.
                for g in &groups {
                    let hidden: Vec<usize> = g.iter().copied().filter(|&i| s.suppressed[i]).collect();
                    prop_assert!(hidden.len() != 1, "cell {:?} = total minus published cells", hidden);
                }
                prop_assert!(s.unprotected_groups.is_empty());
            }

            #[test]
            fn rounded_counts_are_multiples(v in 0u32..10_000, step in prop_oneof![Just(5u32), Just(10u32)]) {
                let r = round_count(f64::from(v), step);
                prop_assert_eq!(r % f64::from(step), 0.0);
                prop_assert!((r - f64::from(v)).abs() <= f64::from(step) / 2.0);
            }
        }
    }
}
