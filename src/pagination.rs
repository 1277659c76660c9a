//! Keyset pagination shared by every list: `{"items": [...], "next_cursor": "…" | null}`.
use base64::Engine;
use sea_orm::sea_query::{Expr, IntoColumnRef, Order, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 500;

#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// An opaque position: the id of the last row of the previous page. A list read as
/// consecutive parts (the alert streams) also records which part the id belongs to
/// ([`Cursor::encode_in`]); both forms share one codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub i32);

fn bad_cursor() -> AppError {
    AppError::BadRequest(
        "the cursor is not one this server gave out; start again without it".into(),
    )
}

fn encode_text(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The text of a cursor given out by `encode_text`; `None` for no cursor.
fn decode_text(s: Option<&str>) -> AppResult<Option<String>> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad_cursor())?;
    String::from_utf8(bytes).map(Some).map_err(|_| bad_cursor())
}

impl Cursor {
    pub fn encode(self) -> String {
        encode_text(&format!("id:{}", self.0))
    }

    pub fn decode(s: Option<&str>) -> AppResult<Option<Cursor>> {
        let Some(text) = decode_text(s)? else {
            return Ok(None);
        };
        let id = text
            .strip_prefix("id:")
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad_cursor)?;
        Ok(Some(Cursor(id)))
    }

    /// The position in part `part` of a list read part after part.
    pub fn encode_in(self, part: usize) -> String {
        encode_text(&format!("part:{part}:{}", self.0))
    }

    /// A cursor of `encode_in`, with its part below `parts`.
    pub fn decode_in(s: Option<&str>, parts: usize) -> AppResult<Option<(usize, Cursor)>> {
        let Some(text) = decode_text(s)? else {
            return Ok(None);
        };
        let mut fields = text
            .strip_prefix("part:")
            .ok_or_else(bad_cursor)?
            .split(':');
        let part: usize = fields
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad_cursor)?;
        let id: i32 = fields
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(bad_cursor)?;
        if part >= parts || fields.next().is_some() {
            return Err(bad_cursor());
        }
        Ok(Some((part, Cursor(id))))
    }
}

/// Checks `?limit=`: 1 to 500, default 100.
pub fn limit(requested: Option<u64>) -> AppResult<u64> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(AppError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}, not {n}"
        ))),
    }
}

impl<T> Page<T> {
    /// `rows` were fetched with `limit + 1`: the extra row only says a next page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u64,
        id: impl Fn(&R) -> i32,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| Cursor(id(r)).encode())
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

/// Which way a keyset list runs over its ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Oldest first: the next page has larger ids.
    Ascending,
    /// Newest first: the next page has smaller ids.
    Descending,
}

/// What a list request asks of the pages: `?limit=` and `?cursor=`, checked.
#[derive(Clone, Copy, Debug)]
pub struct Keyset {
    pub limit: u64,
    pub after: Option<Cursor>,
    pub direction: Direction,
}

impl Keyset {
    /// Checks `?limit=` and `?cursor=` (400 with what to fix when they are wrong).
    pub fn parse(
        limit: Option<u64>,
        cursor: Option<&str>,
        direction: Direction,
    ) -> AppResult<Self> {
        Ok(Keyset {
            limit: self::limit(limit)?,
            after: Cursor::decode(cursor)?,
            direction,
        })
    }

    /// Orders `select` by `id` in the list's direction, starts after the cursor and fetches
    /// one row more than the page (it only says a next page exists).
    pub fn apply<E: EntityTrait>(&self, select: Select<E>, id: impl ColumnTrait) -> Select<E> {
        let select = match (self.after, self.direction) {
            (Some(c), Direction::Ascending) => select.filter(id.gt(c.0)),
            (Some(c), Direction::Descending) => select.filter(id.lt(c.0)),
            (None, _) => select,
        };
        let select = match self.direction {
            Direction::Ascending => select.order_by_asc(id),
            Direction::Descending => select.order_by_desc(id),
        };
        select.limit(self.limit + 1)
    }

    /// The same for a sea-query statement; `id` is the (qualified) id column.
    pub fn apply_statement(&self, stmt: &mut SelectStatement, id: impl IntoColumnRef + Clone) {
        match (self.after, self.direction) {
            (Some(c), Direction::Ascending) => {
                stmt.and_where(Expr::col(id.clone()).gt(c.0));
            }
            (Some(c), Direction::Descending) => {
                stmt.and_where(Expr::col(id.clone()).lt(c.0));
            }
            (None, _) => {}
        }
        let order = match self.direction {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        };
        stmt.order_by(id, order).limit(self.limit + 1);
    }

    /// The page of `rows` fetched through `apply`.
    pub fn page<R, T>(
        &self,
        rows: Vec<R>,
        id: impl Fn(&R) -> i32,
        map: impl FnMut(R) -> T,
    ) -> Page<T> {
        Page::from_rows(rows, self.limit, id, map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() -> AppResult<()> {
        assert_eq!(
            Cursor::decode(Some(&Cursor(42).encode()))?,
            Some(Cursor(42))
        );
        assert_eq!(Cursor::decode(None)?, None);
        assert!(Cursor::decode(Some("!!!")).is_err());
        assert!(Cursor::decode(Some("aWQ6eA")).is_err()); // "id:x"
        Ok(())
    }

    #[test]
    fn part_cursor_round_trip_and_garbage() -> AppResult<()> {
        let c = Cursor(42).encode_in(3);
        assert_eq!(Cursor::decode_in(Some(&c), 10)?, Some((3, Cursor(42))));
        assert_eq!(Cursor::decode_in(None, 10)?, None);
        assert!(Cursor::decode_in(Some("!!"), 10).is_err());
        assert!(Cursor::decode_in(Some(&Cursor(1).encode_in(99)), 10).is_err());
        // The two forms do not stand for each other.
        assert!(Cursor::decode_in(Some(&Cursor(1).encode()), 10).is_err());
        assert!(Cursor::decode(Some(&c)).is_err());
        Ok(())
    }

    #[test]
    fn limits() {
        assert_eq!(limit(None).ok(), Some(100));
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(501)).is_err());
        assert_eq!(limit(Some(500)).ok(), Some(500));
    }

    #[test]
    fn page_cuts_extra_row() {
        let p = Page::from_rows(vec![1, 2, 3], 2, |r| *r, |r| r * 10);
        assert_eq!(p.items, vec![10, 20]);
        assert_eq!(p.next_cursor, Some(Cursor(2).encode()));
        let p = Page::from_rows(vec![1, 2], 2, |r| *r, |r| r);
        assert_eq!(p.next_cursor, None);
    }
}
