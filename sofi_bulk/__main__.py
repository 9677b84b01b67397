from sofi_bulk.cli import main

main()
