//! Splitting a batch's B independent environments (the columns of every `[T, B]` array)
//! between the machine's cores: the recursions run along T, so columns never interact.

use std::ops::Range;

/// Below this many elements one thread is faster than spawning.
const MIN_PARALLEL_LEN: usize = 1 << 15;

/// The rows of several `[T, B]` outputs, cut to one block of columns: `rows[k][t]` is row t
/// of output k.
pub(crate) type BlockRows<'a> = Vec<Vec<&'a mut [f64]>>;

/// Runs `kernel(columns, rows)` over blocks of columns in parallel and returns whether every
/// call returned true (the kernels' fused input checks).
pub(crate) fn for_column_blocks<F>(t_len: usize, b: usize, outputs: Vec<&mut [f64]>, kernel: F) -> bool
where
    F: Fn(Range<usize>, &mut BlockRows) -> bool + Sync,
{
    let threads = if t_len * b < MIN_PARALLEL_LEN {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(b)
    };
    let width = b.div_ceil(threads);
    let mut blocks: Vec<BlockRows> = (0..threads).map(|_| Vec::with_capacity(outputs.len())).collect();
    for out in outputs {
        let mut per_block: Vec<Vec<&mut [f64]>> = (0..threads).map(|_| Vec::with_capacity(t_len)).collect();
        for row in out.chunks_mut(b) {
            let mut rest = row;
            for block in per_block.iter_mut() {
                let (head, tail) = rest.split_at_mut(width.min(rest.len()));
                block.push(head);
                rest = tail;
            }
        }
        for (block, rows) in blocks.iter_mut().zip(per_block) {
            block.push(rows);
        }
    }
    let cols = |i: usize| (i * width).min(b)..((i + 1) * width).min(b);
    if threads == 1 {
        return kernel(cols(0), &mut blocks[0]);
    }
    let kernel = &kernel;
    std::thread::scope(|s| {
        let handles: Vec<_> =
            blocks.into_iter().enumerate().map(|(i, mut rows)| s.spawn(move || kernel(cols(i), &mut rows))).collect();
        handles.into_iter().map(|h| h.join().expect("a return kernel panicked")).fold(true, |a, b| a & b)
    })
}
