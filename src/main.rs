fn main() -> std::process::ExitCode {
    brunel::cli::main()
}
