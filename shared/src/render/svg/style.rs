//! The picture's type and colours: the system font stack and one inline stylesheet, with a
//! phone's larger type below 560 px wide.

/// The system font stack: nothing to download, so the image renders inside an `<img>`.
pub(super) const FONTS: &str =
    "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

pub(super) const STYLE: &str = "\
text{fill:#212529;stroke:none}\
.title{font-size:22px;font-weight:700}\
.subtitle{font-size:14px;fill:#495057}\
.legend text{font-size:15px}\
.legend .value{fill:#495057}\
.heading{font-size:14px;font-weight:600;fill:#343a40}\
.axis text{font-size:13px;fill:#495057}\
.zone-label{font-size:12px;paint-order:stroke;stroke:#fff;stroke-opacity:.8;stroke-width:3px;stroke-linejoin:round}\
.grid{stroke:#e9ecef;stroke-width:1}\
.grid.mid,.zero{stroke:#adb5bd;stroke-width:1}\
.frame{fill:none;stroke:#ced4da;stroke-width:1}\
.band{fill:#e9ecef}\
.zone-long{fill:#d55e00;fill-opacity:.07}\
.zone-short{fill:#009e73;fill-opacity:.08}\
.zone-long-label{fill:#a04600}\
.zone-short-label{fill:#00704f}\
.threshold{stroke:#868e96;stroke-width:1;stroke-dasharray:5 4}\
.line,.swatch{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}\
.lone{stroke:none}\
.retail_crowd{stroke:#d55e00;fill:#d55e00}\
.top_traders_by_accounts{stroke:#3fa7e0;fill:#3fa7e0}\
.top_traders_by_accounts .line,.top_traders_by_accounts .swatch{stroke-dasharray:7 5}\
.top_traders_by_position{stroke:#0060a0;fill:#0060a0}\
.top_traders_by_position .line,.top_traders_by_position .swatch{stroke-width:3}\
.long_pct_gap{stroke:#212529;fill:#212529}\
.legend .swatch-band{fill:#e9ecef;stroke:#868e96;stroke-dasharray:3 2}\
.empty{font-size:16px;fill:#868e96}\
.simulated{font-size:13px;font-weight:700;fill:#c92a2a;paint-order:stroke;stroke:#fff;stroke-opacity:.8;stroke-width:3px}\
@media (max-width:560px){\
.title{font-size:32px}\
.subtitle{font-size:21px}\
.legend text{font-size:24px}\
.legend .value,.detail{display:none}\
.heading{font-size:21px}\
.axis text{font-size:22px}\
.zone-label{font-size:19px}\
.empty{font-size:24px}\
.simulated{font-size:20px}\
.line,.swatch{stroke-width:4}\
.top_traders_by_position .line,.top_traders_by_position .swatch{stroke-width:5}\
}";
