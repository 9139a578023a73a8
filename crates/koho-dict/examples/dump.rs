//! Prints the tokens of each argument: `cargo run -p koho-dict --example dump -- 山田太郎さん`.
#![allow(clippy::print_stdout)]

fn main() -> Result<(), koho_dict::DictError> {
    let analyzer = koho_dict::Analyzer::new()?;
    for text in std::env::args().skip(1) {
        for token in analyzer.tokens(&text) {
            println!(
                "{}\t{:?}\t{}\t{:?}\t{}..{}",
                token.surface,
                token.tag,
                token.reading.unwrap_or("-"),
                token.origin,
                token.start,
                token.end
            );
        }
        println!("EOS");
    }
    Ok(())
}
