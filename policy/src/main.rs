// Plans become millions of small JSON values; glibc's malloc spent ~40% of a 10k-resource
// check allocating and freeing them across threads. mimalloc is much cheaper for this shape.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(dbre_policy::cli::main());
}
