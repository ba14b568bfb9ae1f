fn main() {
    let path = std::env::args().nth(1).expect("path");
    let source = std::fs::read_to_string(path).expect("read");
    match sdk::parse(&source) {
        Ok(c) => println!("{}", serde_json::to_string_pretty(&c).expect("json")),
        Err(e) => println!("{} {e}", e.code()),
    }
}
