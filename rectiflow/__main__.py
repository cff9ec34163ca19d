from rectiflow.cli import main

main()
