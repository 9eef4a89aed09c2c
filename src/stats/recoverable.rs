//! Which hidden cells a set of published linear relations gives away exactly.
//!
//! Each relation is an equation `sum(coefficient x cell) = a published constant`, over cells some of which are
//! hidden. Moving the published cells to the right-hand side leaves a linear system in the hidden ones. A
//! hidden cell is determined (recoverable by adding and subtracting published figures) exactly when its unit
//! vector lies in the row space of that system: after exact Gauss-Jordan elimination its pivot row holds no
//! other hidden cell. Elimination is fraction-free over `i128` (each row divided by the gcd of its entries),
//! one independent block of cells at a time, so it is exact and small: the blocks are the cells tied together
//! by shared equations (a theme's wards, a grid's rows and columns), not the whole publication.

use std::collections::BTreeMap;

/// One relation: (cell index, coefficient) pairs summing to a published constant.
pub type Equation = Vec<(usize, i64)>;

/// The system's numbers outgrew `i128` (not expected for sums of counts; the caller should treat the
/// publication as unsafe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the linear system of published relations has coefficients too large to solve exactly")
    }
}

/// The hidden cells (`hidden[i]`) that `equations` determine, ascending. Cells outside `hidden` are published;
/// indices beyond it count as published.
pub fn determined_cells(equations: &[Equation], hidden: &[bool]) -> Result<Vec<usize>, TooLarge> {
    let is_hidden = |i: usize| hidden.get(i).copied().unwrap_or(false);
    // Each equation restricted to its hidden cells (coefficients of a repeated cell added up).
    let mut rows: Vec<BTreeMap<usize, i128>> = Vec::new();
    for eq in equations {
        let mut row: BTreeMap<usize, i128> = BTreeMap::new();
        for &(cell, k) in eq.iter().filter(|(c, _)| is_hidden(*c)) {
            *row.entry(cell).or_default() += i128::from(k);
        }
        row.retain(|_, k| *k != 0);
        if !row.is_empty() {
            rows.push(row);
        }
    }
    let mut found = Vec::new();
    for block in blocks(&rows) {
        found.extend(solve_block(block.iter().filter_map(|&r| rows.get(r)).collect())?);
    }
    found.sort_unstable();
    Ok(found)
}

/// Equations grouped into independent blocks: two equations share a block when they share a cell.
fn blocks(rows: &[BTreeMap<usize, i128>]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..rows.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_row_of_cell: BTreeMap<usize, usize> = BTreeMap::new();
    for (r, row) in rows.iter().enumerate() {
        for &cell in row.keys() {
            match first_row_of_cell.get(&cell) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, r), root(&mut parent, other));
                    parent[a] = b;
                }
                None => {
                    first_row_of_cell.insert(cell, r);
                }
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for r in 0..rows.len() {
        let top = root(&mut parent, r);
        by_root.entry(top).or_default().push(r);
    }
    by_root.into_values().collect()
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i128::try_from(a).unwrap_or(i128::MAX)
}

/// Gauss-Jordan elimination of one block; returns its determined cells.
fn solve_block(equations: Vec<&BTreeMap<usize, i128>>) -> Result<Vec<usize>, TooLarge> {
    let cells: Vec<usize> = {
        let mut c: Vec<usize> = equations.iter().flat_map(|e| e.keys().copied()).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let column: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(j, &c)| (c, j)).collect();
    let mut m: Vec<Vec<i128>> = equations
        .iter()
        .map(|e| {
            let mut row = vec![0i128; cells.len()];
            for (c, &k) in e.iter() {
                if let Some(slot) = column.get(c).and_then(|&j| row.get_mut(j)) {
                    *slot = k;
                }
            }
            row
        })
        .collect();
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    for j in 0..cells.len() {
        let Some(p) = (next..m.len()).find(|&i| m[i][j] != 0) else { continue };
        m.swap(next, p);
        let pivot_row = m[next].clone();
        let a = pivot_row[j];
        for (i, row) in m.iter_mut().enumerate() {
            let b = row[j];
            if i == next || b == 0 {
                continue;
            }
            let mut g = 0;
            for (x, &y) in row.iter_mut().zip(&pivot_row) {
                let v = x.checked_mul(a).zip(y.checked_mul(b)).and_then(|(l, r)| l.checked_sub(r)).ok_or(TooLarge)?;
                *x = v;
                g = gcd(g, v);
            }
            if g > 1 {
                row.iter_mut().for_each(|x| *x /= g);
            }
        }
        pivots.push((next, j));
        next += 1;
    }
    Ok(pivots
        .into_iter()
        .filter(|&(i, j)| m[i].iter().enumerate().all(|(k, &x)| k == j || x == 0))
        .filter_map(|(_, j)| cells.get(j).copied())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_is(total: usize, parts: &[usize]) -> Equation {
        std::iter::once((total, 1)).chain(parts.iter().map(|&p| (p, -1))).collect()
    }

    #[test]
    fn a_lone_hidden_cell_is_determined() {
        // 0 = 1 + 2 + 3 with only cell 2 hidden.
        let eq = vec![sum_is(0, &[1, 2, 3])];
        assert_eq!(determined_cells(&eq, &[false, false, true, false]).unwrap(), vec![2]);
        // Two hidden cells in the one equation: neither is.
        assert!(determined_cells(&eq, &[false, true, true, false]).unwrap().is_empty());
    }

    #[test]
    fn nested_totals_give_the_difference_away() {
        // all = a + b + c, under = a + b; a, b, c hidden: c = all - under, a and b stay hidden.
        let eq = vec![sum_is(0, &[2, 3, 4]), sum_is(1, &[2, 3])];
        assert_eq!(determined_cells(&eq, &[false, false, true, true, true]).unwrap(), vec![4]);
    }

    #[test]
    fn two_tables_sharing_a_margin() {
        // area: total(0) = in_wards(1) + outside(2); wards: in_wards(1) = w3 + w4.
        let eq = vec![sum_is(0, &[1, 2]), sum_is(1, &[3, 4])];
        assert_eq!(determined_cells(&eq, &[false, true, true, false, false]).unwrap(), vec![1, 2]);
        // One ward hidden too: three unknowns, two equations, null space (1, -1, 1): nothing determined.
        assert!(determined_cells(&eq, &[false, true, true, true, false]).unwrap().is_empty());
    }

    #[test]
    fn a_rectangle_in_a_grid_is_safe_and_a_copy_is_not() {
        // 2 x 2 cells (0 1 / 2 3) with row and column sums published: all four hidden is safe.
        let eq = vec![vec![(0, 1), (1, 1)], vec![(2, 1), (3, 1)], vec![(0, 1), (2, 1)], vec![(1, 1), (3, 1)]];
        assert!(determined_cells(&eq, &[true; 4]).unwrap().is_empty());
        // The same figure published twice (x = y) gives nothing away while both are hidden ...
        assert!(determined_cells(&[vec![(0, 1), (1, -1)]], &[true, true]).unwrap().is_empty());
        // ... and a cell repeated within one equation cancels out.
        assert!(determined_cells(&[vec![(0, 1), (0, -1), (1, 1), (2, 1)]], &[true, true, true]).unwrap().is_empty());
    }
}
