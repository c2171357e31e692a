//! `kith total OBJECT FIELD [--filter F]`: the exact sum of a currency field, one line
//! per currency. Amounts in different currencies are never added together.

use std::io::Write;

use crate::CliError;
use crate::commands::Context;
use crate::output::{JsonObject, write_json};

/// Sum a currency field per currency.
#[derive(clap::Args)]
pub struct TotalArgs {
    /// The object (key, label or id)
    pub object: String,
    /// The currency field to sum
    pub field: String,
    /// Only records that pass this filter (as in `kith record list --filter`)
    #[arg(long)]
    pub filter: Option<String>,
}

pub fn run(args: TotalArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open()?;
    let object = ws.object_named(&args.object)?.id;
    let field = ws.field_named(object, &args.field)?.id;
    let filter = args.filter.as_deref().map(|f| ws.parse_filter(object, f)).transpose()?;
    let totals = ws.currency_totals(object, field, filter.as_ref())?;
    let mut out = ctx.out();
    if ctx.json {
        let mut j = JsonObject::default();
        j.push_objects(
            "totals",
            totals
                .iter()
                .map(|(code, amount)| {
                    let money = kith_core::Money {
                        amount: *amount,
                        code: code.clone(),
                    };
                    let mut t = JsonObject::default();
                    t.push("amount", money.amount_text());
                    t.push("currency", code.clone());
                    t
                })
                .collect(),
        );
        write_json(&mut out, &j)?;
    } else if totals.is_empty() {
        writeln!(out, "no amounts")?;
    } else {
        for (code, amount) in &totals {
            let money = kith_core::Money {
                amount: *amount,
                code: code.clone(),
            };
            writeln!(out, "{} {code}", money.amount_text())?;
        }
    }
    Ok(())
}
