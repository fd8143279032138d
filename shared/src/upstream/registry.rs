//! The venues as a list. Every adapter sits behind one enum, [`VenueAdapter`], that is itself a
//! [`PositioningSource`], so a route holds the venues it asked for in a `Vec` and loops over
//! them; what each venue *is* comes from its own folder's `FACTS`. The one list below names every
//! adapter: a venue added to `domain::Venue` and not here does not compile.

use super::binance::{self, Binance, BinanceClient};
use super::budget::Budget;
use super::request::VenueClient;
use super::{Extras, Fetched, PositioningSource, VenueFacts};
use crate::domain::{Period, Symbol, Venue};

/// Writes the registry for Binance (whose client keeps a request budget, see `upstream::budget`)
/// and every other venue, whose client is the common [`VenueClient`] (paced, see
/// `upstream::request`): `Variant => module::Adapter`.
macro_rules! registry {
    ($($variant:ident => $module:ident :: $adapter:ident),* $(,)?) => {
        /// One venue's adapter at its configured base URL.
        pub enum VenueAdapter<'a> {
            Binance(Binance<'a>),
            $($variant(super::$module::$adapter<'a>),)*
        }

        /// Every venue's facts, in answer order ([`Venue::ALL`]'s).
        pub const FACTS: &[&VenueFacts] = &[&binance::FACTS, $(&super::$module::FACTS,)*];

        /// `venue`'s facts.
        pub const fn facts(venue: Venue) -> &'static VenueFacts {
            match venue {
                Venue::Binance => &binance::FACTS,
                $(Venue::$variant => &super::$module::FACTS,)*
            }
        }

        /// Every venue's client, built once per warm instance and reused by every request
        /// (their pooled connections, quiet periods, paces and Binance's budget).
        pub struct Clients {
            pub binance: BinanceClient,
            $(pub $module: VenueClient,)*
        }

        impl Clients {
            /// All on one pooled HTTP client; Binance's requests spent from `binance_budget`.
            pub fn new(http: reqwest::Client, binance_budget: Budget) -> Clients {
                Clients {
                    $($module: super::$module::client(http.clone()),)*
                    binance: BinanceClient::with_budget(http, binance_budget),
                }
            }

            /// `venue`'s adapter at `base_url` (the configured one, or the venue's default),
            /// reading `extras` where the venue has them to ask for (Binance).
            pub fn adapter(
                &self,
                venue: Venue,
                base_url: Option<&str>,
                extras: Extras,
            ) -> VenueAdapter<'_> {
                match venue {
                    Venue::Binance => {
                        let mut binance = self.binance.at(base_url);
                        if extras.open_interest {
                            binance = binance.with_open_interest();
                        }
                        if extras.prices {
                            binance = binance.with_prices();
                        }
                        VenueAdapter::Binance(binance)
                    }
                    $(Venue::$variant => VenueAdapter::$variant(
                        super::$module::$adapter::at(&self.$module, base_url),
                    ),)*
                }
            }
        }

        impl PositioningSource for VenueAdapter<'_> {
            fn facts(&self) -> &'static VenueFacts {
                match self {
                    VenueAdapter::Binance(a) => a.facts(),
                    $(VenueAdapter::$variant(a) => a.facts(),)*
                }
            }

            fn source(&self) -> &'static str {
                match self {
                    VenueAdapter::Binance(a) => a.source(),
                    $(VenueAdapter::$variant(a) => a.source(),)*
                }
            }

            fn instrument(&self, symbol: &Symbol) -> String {
                match self {
                    VenueAdapter::Binance(a) => a.instrument(symbol),
                    $(VenueAdapter::$variant(a) => a.instrument(symbol),)*
                }
            }

            fn supports(&self, period: Period) -> bool {
                match self {
                    VenueAdapter::Binance(a) => a.supports(period),
                    $(VenueAdapter::$variant(a) => a.supports(period),)*
                }
            }

            fn extras(&self) -> Extras {
                match self {
                    VenueAdapter::Binance(a) => a.extras(),
                    $(VenueAdapter::$variant(a) => a.extras(),)*
                }
            }

            fn requests(&self, rows: u16) -> u32 {
                match self {
                    VenueAdapter::Binance(a) => a.requests(rows),
                    $(VenueAdapter::$variant(a) => a.requests(rows),)*
                }
            }

            fn reserve(&self, rows: u16, now_ms: i64) -> Result<(), u64> {
                match self {
                    VenueAdapter::Binance(a) => a.reserve(rows, now_ms),
                    $(VenueAdapter::$variant(a) => a.reserve(rows, now_ms),)*
                }
            }

            async fn fetch(&self, symbol: &Symbol, period: Period, rows: u16) -> Fetched {
                match self {
                    VenueAdapter::Binance(a) => a.fetch(symbol, period, rows).await,
                    $(VenueAdapter::$variant(a) => a.fetch(symbol, period, rows).await,)*
                }
            }
        }
    };
}

registry! {
    Okx => okx::Okx,
    Bybit => bybit::Bybit,
    Gate => gate::Gate,
    Bitget => bitget::Bitget,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Cohort;
    use crate::upstream::Weight;

    #[test]
    fn the_registry_lists_every_venue_once_in_answer_order() {
        let listed: Vec<Venue> = FACTS.iter().map(|f| f.venue).collect();
        assert_eq!(listed, Venue::ALL);
        let clients = Clients::new(reqwest::Client::new(), Budget::unlimited());
        for venue in Venue::ALL {
            let adapter = clients.adapter(venue, None, Extras::NONE);
            assert_eq!(adapter.venue(), venue);
            assert_eq!(facts(venue).venue, venue);
        }
    }

    #[test]
    fn a_venue_weighted_in_the_aggregate_publishes_the_top_positions_it_weighs() {
        // Only a venue with a position gap can be weighted; each label is its own.
        for f in FACTS {
            if matches!(f.weight, Weight::OpenInterestUsd { .. }) {
                assert!(f.publishes(Cohort::TopTradersByPosition), "{:?}", f.venue);
            }
            assert!(f.relayed_label.starts_with(f.label));
            assert_eq!(
                FACTS.iter().filter(|g| g.label == f.label).count(),
                1,
                "{}",
                f.label
            );
        }
    }

    #[test]
    fn extras_reach_binance_and_its_requests_count_them() {
        let clients = Clients::new(reqwest::Client::new(), Budget::unlimited());
        let plain = clients.adapter(Venue::Binance, None, Extras::NONE);
        let both = Extras {
            open_interest: true,
            prices: true,
        };
        let with = clients.adapter(Venue::Binance, None, both);
        assert_eq!((plain.requests(6), with.requests(6)), (3, 5));
        assert_eq!(with.extras(), both);
        // OKX reads its open interest in every fetch: four paths, whatever is asked.
        let okx = clients.adapter(Venue::Okx, None, both);
        assert_eq!(okx.requests(6), 4);
    }
}
