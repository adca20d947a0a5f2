typedef int placeholder_cli;
