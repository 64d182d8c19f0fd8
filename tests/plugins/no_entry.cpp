// A shared library that is not a sluice plugin: it exports no entry symbol.
extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return 42; }
