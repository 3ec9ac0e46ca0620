//! Placing text on a chart where it has room: each label goes to the candidate position (in
//! pixels) farthest from everything already there — the lines it does not belong to, labels
//! placed before it, the edges of the plotting area — so names never sit on each other, on
//! foreign lines or on the axes.

/// A label's box in pixels: centre and half sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelBox {
    pub x: i32,
    pub y: i32,
    pub half_w: i32,
    pub half_h: i32,
}

impl LabelBox {
    /// Distance (px) from the box to a point; 0 inside it.
    fn distance_to(&self, (px, py): (i32, i32)) -> f64 {
        let dx = ((px - self.x).abs() - self.half_w).max(0) as f64;
        let dy = ((py - self.y).abs() - self.half_h).max(0) as f64;
        dx.hypot(dy)
    }

    /// Gap (px) between two boxes; 0 when they overlap.
    fn gap_to(&self, o: &LabelBox) -> f64 {
        let dx = ((self.x - o.x).abs() - self.half_w - o.half_w).max(0) as f64;
        let dy = ((self.y - o.y).abs() - self.half_h - o.half_h).max(0) as f64;
        dx.hypot(dy)
    }
}

/// The obstacles of one plotting area and the labels placed on it so far.
#[derive(Debug, Clone)]
pub struct Placer {
    /// Plotting area in pixels: x0, y0, x1, y1.
    bounds: (i32, i32, i32, i32),
    /// Points of lines, each tagged with the line it belongs to.
    points: Vec<(usize, (i32, i32))>,
    boxes: Vec<LabelBox>,
}

/// A label narrower than this many pixels from an obstacle is not drawn at all.
const MIN_ROOM_PX: f64 = 2.0;

impl Placer {
    /// An empty plotting area with these pixel bounds.
    pub fn new(bounds: (i32, i32, i32, i32)) -> Placer {
        Placer {
            bounds,
            points: Vec::new(),
            boxes: Vec::new(),
        }
    }

    /// Adds the pixels of line `owner` (a polyline, densified so that no gap exceeds 6 px).
    pub fn add_line(&mut self, owner: usize, line: &[(i32, i32)]) {
        self.points
            .extend(densify(line, 6).into_iter().map(|p| (owner, p)));
    }

    /// Puts a `w` × `h` px label for line `owner` at the candidate with the most room (lines
    /// of other owners, placed labels, the area's edges), records it and returns its box;
    /// None when no candidate leaves at least [`MIN_ROOM_PX`].
    pub fn place(
        &mut self,
        owner: usize,
        candidates: &[(i32, i32)],
        (w, h): (i32, i32),
    ) -> Option<LabelBox> {
        let best = candidates
            .iter()
            .map(|&(x, y)| LabelBox {
                x,
                y,
                half_w: w / 2 + 1,
                half_h: h / 2 + 1,
            })
            .map(|b| (self.room(&b, owner), b))
            .max_by(|a, b| a.0.total_cmp(&b.0))?;
        if best.0 < MIN_ROOM_PX {
            return None;
        }
        self.boxes.push(best.1);
        Some(best.1)
    }

    /// Room around box `b`: its distance to the nearest foreign line point, placed label or
    /// edge (negative when it crosses an edge), capped at 60 px so that among roomy places
    /// the first candidate wins.
    fn room(&self, b: &LabelBox, owner: usize) -> f64 {
        let (x0, y0, x1, y1) = self.bounds;
        let edge = [
            b.x - b.half_w - x0,
            x1 - (b.x + b.half_w),
            b.y - b.half_h - y0,
            y1 - (b.y + b.half_h),
        ]
        .into_iter()
        .min()
        .unwrap_or(0) as f64;
        let lines = self
            .points
            .iter()
            .filter(|(o, _)| *o != owner)
            .map(|(_, p)| b.distance_to(*p))
            .fold(f64::INFINITY, f64::min);
        let labels = self
            .boxes
            .iter()
            .map(|o| b.gap_to(o))
            .fold(f64::INFINITY, f64::min);
        edge.min(lines).min(labels).min(60.0)
    }
}

/// The points of a pixel polyline with extra points so that consecutive ones are at most
/// `step` px apart (candidates and obstacles both need the segments, not only the vertices).
pub fn densify(line: &[(i32, i32)], step: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::with_capacity(line.len());
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = ((b.0 - a.0) as f64).hypot((b.1 - a.1) as f64);
        let n = (d / step.max(1) as f64).ceil().clamp(1.0, 10_000.0) as i32;
        for k in 0..n {
            out.push((a.0 + (b.0 - a.0) * k / n, a.1 + (b.1 - a.1) * k / n));
        }
    }
    out.extend(line.last());
    out
}

/// Pixel size of `text` in the bundled font at `size` px (an estimate, slightly generous).
pub fn text_size(text: &str, size: u32) -> (i32, i32) {
    let w = (text.chars().count() as f64 * 0.62 * size as f64).ceil() as i32;
    (w + 4, size as i32 + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_avoid_foreign_lines_each_other_and_edges() {
        let mut p = Placer::new((0, 0, 400, 300));
        // Two crossing lines: the diagonal's label must not sit on the horizontal one.
        let diagonal: Vec<(i32, i32)> = vec![(0, 0), (400, 300)];
        let horizontal: Vec<(i32, i32)> = vec![(0, 150), (400, 150)];
        p.add_line(0, &diagonal);
        p.add_line(1, &horizontal);
        let a = p.place(0, &densify(&diagonal, 10), (40, 16)).unwrap();
        assert!((a.y - 150).abs() > 8 + 20, "{a:?}");
        assert!(a.x - a.half_w >= 0 && a.y - a.half_h >= 0 && a.x + a.half_w <= 400);
        // A second label of the same line keeps clear of the first.
        let b = p.place(0, &densify(&diagonal, 10), (40, 16)).unwrap();
        assert!(a.gap_to(&b) >= MIN_ROOM_PX, "{a:?} {b:?}");
        // Nowhere to go: a candidate only on the other line is refused.
        assert_eq!(p.place(0, &[(200, 150)], (40, 16)), None);
    }
}
