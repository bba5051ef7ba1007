fn main() {
    std::process::exit(dbre_policy::cli::main());
}
