//! Every parcel's centre on a fine grid, in Z-order (Morton order), with its status-and-commune
//! group and its area: the parcels of an overview tile above the pyramid (z13–z15) are then
//! one contiguous run of this array, read in a straight line, where asking the R-tree for the
//! 100,000+ parcels of a dense z13 tile took most of 50 ms. 16 bytes a parcel.

/// The centres' grid: 2^22 across the world, the 4-px cell of a z15 tile.
pub const BITS: u32 = 22;
/// Low bits of a key holding the group; the centre's Morton code is above them.
const GROUP_BITS: u32 = 20;
/// Changes kept aside (added, or taken out of the sorted run) before a merge.
const PENDING_MAX: usize = 8_192;

#[derive(Clone, Copy, Debug)]
struct Dot {
    /// Morton code of the centre << `GROUP_BITS` | group.
    key: u64,
    /// m²; NaN marks a dot taken out of the sorted run since the last merge.
    area: f64,
}

/// The centres of a project, kept current with its writes.
#[derive(Default)]
pub struct Dots {
    sorted: Vec<Dot>,
    /// Added since the last merge, in no order.
    pending: Vec<Dot>,
    /// Dots of `sorted` marked gone since the last merge.
    gone: usize,
}

/// One parcel's centre as the overview counts it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Centre {
    /// Position on the 2^`BITS` grid.
    pub x: u32,
    pub y: u32,
    pub group: u32,
    pub area: f64,
}

/// Spreads the low 32 bits of `v` to the even bits of the result.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// The even bits of `m`, gathered: the inverse of `spread`.
fn squeeze(m: u64) -> u32 {
    let mut x = m & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    x = (x | (x >> 16)) & 0x0000_0000_ffff_ffff;
    u32::try_from(x).unwrap_or(u32::MAX)
}

fn morton(x: u32, y: u32) -> u64 {
    spread(x) | (spread(y) << 1)
}

impl Dot {
    /// `None` for a group past what a key holds (a million status-and-commune pairs).
    fn of(c: Centre) -> Option<Dot> {
        let fits = |v: u32| v < (1 << BITS);
        (fits(c.x) && fits(c.y) && c.group < (1 << GROUP_BITS)).then(|| Dot {
            key: (morton(c.x, c.y) << GROUP_BITS) | u64::from(c.group),
            area: c.area,
        })
    }

    fn centre(self) -> Centre {
        let m = self.key >> GROUP_BITS;
        Centre {
            x: squeeze(m),
            y: squeeze(m >> 1),
            group: (self.key & ((1 << GROUP_BITS) - 1)) as u32,
            area: self.area,
        }
    }

    fn same(&self, other: &Dot) -> bool {
        self.key == other.key && self.area.to_bits() == other.area.to_bits()
    }
}

/// A world position ([0, 1)²) on the centres' grid; `None` outside the world.
pub fn on_grid(w: [f64; 2]) -> Option<[u32; 2]> {
    let n = f64::from(1u32 << BITS);
    let cell = |v: f64| (0.0..1.0).contains(&v).then_some((v * n) as u32);
    Some([cell(w[0])?, cell(w[1])?])
}

impl Dots {
    pub fn build(centres: impl IntoIterator<Item = Centre>) -> Self {
        let centres = centres.into_iter();
        // Sized once: a million parcels do not grow the array by doubling.
        let mut sorted = Vec::with_capacity(centres.size_hint().1.unwrap_or(0));
        sorted.extend(centres.filter_map(Dot::of));
        sorted.sort_unstable_by_key(|d| d.key);
        sorted.shrink_to_fit();
        Dots {
            sorted,
            ..Dots::default()
        }
    }

    pub fn insert(&mut self, c: Centre) {
        if let Some(d) = Dot::of(c) {
            self.pending.push(d);
            self.maybe_merge();
        }
    }

    /// Takes out one dot equal to `c` (a parcel's old centre, group and area).
    pub fn remove(&mut self, c: Centre) {
        let Some(d) = Dot::of(c) else {
            return;
        };
        if let Some(i) = self.pending.iter().position(|p| p.same(&d)) {
            self.pending.swap_remove(i);
            return;
        }
        let from = self.sorted.partition_point(|s| s.key < d.key);
        if let Some(s) = self.sorted[from..]
            .iter_mut()
            .take_while(|s| s.key == d.key)
            .find(|s| s.same(&d))
        {
            s.area = f64::NAN;
            self.gone += 1;
            self.maybe_merge();
        }
    }

    fn maybe_merge(&mut self) {
        if self.pending.len() + self.gone <= PENDING_MAX.max(self.sorted.len() / 16) {
            return;
        }
        self.sorted.retain(|d| !d.area.is_nan());
        self.pending.sort_unstable_by_key(|d| d.key);
        self.sorted.append(&mut self.pending);
        // Two sorted runs: the stable sort merges them in one pass.
        self.sorted.sort_by_key(|d| d.key);
        self.gone = 0;
    }

    /// Every centre inside tile (z, x, y); none above zoom `BITS`.
    pub fn in_tile(&self, z: u8, x: u32, y: u32) -> impl Iterator<Item = Centre> + '_ {
        // Grid bits below the tile: its centres share the Morton prefix of (x, y) above them.
        let below = BITS.checked_sub(u32::from(z));
        let run = below.map_or(&[][..], |below| {
            let low = 2 * below + GROUP_BITS;
            let first = u128::from(morton(x, y)) << low;
            let end = (u128::from(morton(x, y)) + 1) << low;
            let from = self.sorted.partition_point(|d| u128::from(d.key) < first);
            let to = self.sorted.partition_point(|d| u128::from(d.key) < end);
            &self.sorted[from..to]
        });
        let inside = move |c: &Centre| below.is_some_and(|b| c.x >> b == x && c.y >> b == y);
        run.iter()
            .filter(|d| !d.area.is_nan())
            .map(|d| d.centre())
            .chain(self.pending.iter().map(|d| d.centre()).filter(inside))
    }

    /// Bytes held: what the load logs.
    pub fn bytes(&self) -> usize {
        (self.sorted.capacity() + self.pending.capacity()) * std::mem::size_of::<Dot>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_codes_round_trip() {
        for (x, y) in [
            (0, 0),
            (1, 0),
            (0, 1),
            ((1 << BITS) - 1, 12_345),
            (2_097_151, 3),
        ] {
            let m = morton(x, y);
            assert_eq!((squeeze(m), squeeze(m >> 1)), (x, y));
        }
        // At zoom 1 the four tiles come in Z order, (0, 0), (1, 0), (0, 1), (1, 1), each one run.
        let half = 1 << (BITS - 1);
        assert!(morton(half - 1, half - 1) < morton(half, 0));
        assert!(morton(half - 1, half) > morton(half, half - 1));
    }

    /// After many writes (past several merges) each tile finds exactly what a plain list of
    /// the live centres holds.
    #[test]
    fn writes_keep_every_tile_as_a_plain_list_would() {
        let mut seed = 7u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Centres crowded into 4 × 4 z15 tiles so that tiles hold many.
        let base = 21_000u32 << 7;
        let random = |next: &mut dyn FnMut() -> u64| Centre {
            x: base + (next() % 512) as u32,
            y: base + (next() % 512) as u32,
            group: (next() % 5) as u32,
            area: (next() % 1000) as f64 / 4.0,
        };
        let mut live: Vec<Centre> = (0..20_000).map(|_| random(&mut next)).collect();
        let mut dots = Dots::build(live.clone());
        for round in 0..30_000 {
            if round % 3 == 0 && !live.is_empty() {
                let gone = live.swap_remove((next() % live.len() as u64) as usize);
                dots.remove(gone);
            } else {
                let c = random(&mut next);
                live.push(c);
                dots.insert(c);
            }
        }
        for z in [13u8, 14, 15] {
            let shift = BITS - u32::from(z);
            for tx in (base >> shift)..=((base + 511) >> shift) {
                for ty in (base >> shift)..=((base + 511) >> shift) {
                    let key = |c: &Centre| (c.x, c.y, c.group, c.area.to_bits());
                    let mut got: Vec<_> = dots.in_tile(z, tx, ty).map(|c| key(&c)).collect();
                    let mut want: Vec<_> = live
                        .iter()
                        .filter(|c| c.x >> shift == tx && c.y >> shift == ty)
                        .map(key)
                        .collect();
                    got.sort_unstable();
                    want.sort_unstable();
                    assert!(!want.is_empty());
                    assert_eq!(got, want, "z{z} {tx}/{ty}");
                }
            }
        }
        // Everything still pending or marked is folded away by the merges: bounded.
        assert!(dots.pending.len() + dots.gone <= PENDING_MAX.max(dots.sorted.len() / 16));
    }
}
