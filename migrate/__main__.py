from migrate.cli import main

main(prog_name="gateway-migrate")
