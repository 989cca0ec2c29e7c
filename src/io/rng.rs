//! A small deterministic generator (xorshift, shifts 13, 7, 17) for what must come out the same
//! on every machine: training's initial weights and batch order, generated test corpora.

/// Xorshift over 64 bits. A seed of zero gives zeros forever; any other seed a full period.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `-bound..bound`, from the top 24 bits.
    pub fn uniform(&mut self, bound: f32) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * bound
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, (self.next_u64() % (i as u64 + 1)) as usize);
        }
    }

    /// One of `items` (`None` when there are none).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get((self.next_u64() % items.len() as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_fixed_and_shuffles_permute() {
        let mut r = XorShift::new(1);
        assert_eq!(r.next_u64(), 1_082_269_761);
        let mut v: Vec<u32> = (0..50).collect();
        XorShift::new(7).shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
        assert!((0..1000).map(|_| r.uniform(0.5)).all(|x| (-0.5..0.5).contains(&x)));
        assert_eq!(r.pick::<u8>(&[]), None);
    }
}
