typedef int placeholder_rformat;
