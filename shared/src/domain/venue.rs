//! The exchanges we read positioning from. Only their names live here: each venue's URLs, paths,
//! wire format and limits live in its adapter (`upstream/<venue>/`).

use std::fmt;

/// Declares [`Venue`] from one line per venue: `Variant = "id", "Name"`, in answer order.
macro_rules! venues {
    ($($variant:ident = $id:literal, $name:literal;)*) => {
        /// In the order every answer lists them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Venue {
            $($variant,)*
        }

        impl Venue {
            pub const ALL: [Venue; [$(Venue::$variant,)*].len()] = [$(Venue::$variant,)*];

            /// The id used in JSON, query parameters, configuration names and logs.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Venue::$variant => $id,)*
                }
            }

            /// How a message names it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Venue::$variant => $name,)*
                }
            }
        }
    };
}

venues! {
    Binance = "binance", "Binance";
    Okx = "okx", "OKX";
    Bybit = "bybit", "Bybit";
    Gate = "gate", "Gate";
    Bitget = "bitget", "Bitget";
}

impl Venue {
    /// The venue whose id is `id`.
    pub fn from_id(id: &str) -> Option<Venue> {
        Venue::ALL.into_iter().find(|v| v.id() == id)
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_each_venue_once_in_answer_order() {
        let ids: Vec<&str> = Venue::ALL.iter().map(|v| v.id()).collect();
        assert_eq!(ids, ["binance", "okx", "bybit", "gate", "bitget"]);
        assert_eq!(Venue::from_id("okx"), Some(Venue::Okx));
        assert_eq!(Venue::from_id("OKX"), None);
        assert!(Venue::Binance < Venue::Bitget);
    }
}
