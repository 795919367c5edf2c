//! # mgrl-macros
//!
//! `#[mgrl_core::plugin(...)]`, the one place where a return or reward-transform plugin says
//! its name, its description, its meta-parameters and its options. On
//!
//! ```ignore
//! #[mgrl_core::plugin(name = "retrace", description = "…", meta = META)]
//! impl ReturnFn for Retrace { fn targets(…) … fn jvp(…) … fn vjp(…) … }
//! ```
//!
//! it writes `#[typetag::serde(name = "retrace")]` on the impl (the name TOML uses), the
//! impl's `meta_params` (returning `META`), and the registry's `PluginEntry` with the same
//! name and meta-parameters, its kind read from the trait. `meta` and `options` default to
//! none. The plugin crate depends on `typetag` and `mgrl-core`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Expr, ImplItem, ItemImpl, LitStr};

/// Registers a plugin; see the crate documentation.
#[proc_macro_attribute]
pub fn plugin(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut name: Option<LitStr> = None;
    let mut description: Option<LitStr> = None;
    let mut meta: Option<Expr> = None;
    let mut options: Option<Expr> = None;
    let parser = syn::meta::parser(|m| {
        if m.path.is_ident("name") {
            name = Some(m.value()?.parse()?);
        } else if m.path.is_ident("description") {
            description = Some(m.value()?.parse()?);
        } else if m.path.is_ident("meta") {
            meta = Some(m.value()?.parse()?);
        } else if m.path.is_ident("options") {
            options = Some(m.value()?.parse()?);
        } else {
            return Err(m.error("unknown argument; expected `name`, `description`, `meta` or `options`"));
        }
        Ok(())
    });
    parse_macro_input!(args with parser);
    let item = parse_macro_input!(item as ItemImpl);
    match expand(name, description, meta, options, item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(
    name: Option<LitStr>,
    description: Option<LitStr>,
    meta: Option<Expr>,
    options: Option<Expr>,
    mut item: ItemImpl,
) -> syn::Result<proc_macro2::TokenStream> {
    let span = proc_macro2::Span::call_site();
    let name = name.ok_or_else(|| syn::Error::new(span, "missing `name = \"...\"`, the name TOML uses"))?;
    let description = description.ok_or_else(|| syn::Error::new(span, "missing `description = \"...\"` (one line)"))?;
    let trait_path = &item
        .trait_
        .as_ref()
        .ok_or_else(|| syn::Error::new(span, "put #[plugin] on `impl ReturnFn for …` or `impl RewardTransform for …`"))?
        .1;
    let kind = match trait_path.segments.last().map(|s| s.ident.to_string()).as_deref() {
        Some("ReturnFn") => quote!(Return),
        Some("RewardTransform") => quote!(RewardTransform),
        _ => {
            return Err(syn::Error::new_spanned(
                trait_path,
                "#[plugin] registers implementations of `ReturnFn` or `RewardTransform`",
            ))
        }
    };
    if let Some(f) = item.items.iter().find_map(|i| match i {
        ImplItem::Fn(f) if f.sig.ident == "meta_params" => Some(f),
        _ => None,
    }) {
        return Err(syn::Error::new_spanned(&f.sig, "remove `meta_params`: #[plugin] writes it from `meta = ...`"));
    }
    let meta = meta.map_or_else(|| quote!(&[]), |m| quote!(#m));
    let options = options.map_or_else(|| quote!(&[]), |o| quote!(#o));
    item.items.insert(
        0,
        syn::parse_quote! {
            fn meta_params(&self) -> &'static [::mgrl_core::MetaParamSpec] {
                #meta
            }
        },
    );
    Ok(quote! {
        #[::typetag::serde(name = #name)]
        #item

        ::mgrl_core::inventory::submit! {
            ::mgrl_core::PluginEntry {
                name: #name,
                kind: ::mgrl_core::PluginKind::#kind,
                description: #description,
                meta_params: #meta,
                options: #options,
            }
        }
    })
}
