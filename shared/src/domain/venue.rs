//! The exchanges we read positioning from. Only their names live here: each venue's URLs, paths,
//! wire format and limits live in its adapter (`upstream/<venue>/`).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Venue {
    Binance,
}

impl Venue {
    pub const ALL: [Venue; 1] = [Venue::Binance];

    /// The id used in JSON, configuration names and logs.
    pub const fn id(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
        }
    }

    /// How a message names it.
    pub const fn name(self) -> &'static str {
        match self {
            Venue::Binance => "Binance",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
