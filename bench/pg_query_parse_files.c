/* The floor for `migrate lint` on PostgreSQL files (bench/lint_throughput.sh): a program that
 * reads each file named on its command line and parses it with libpg_query (pg_query_parse, the
 * call the analyzer starts from), and does nothing else: no rules, no output. Its wall time,
 * process start included, is what no linter built on libpg_query can beat on the machine. */
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    FILE* f = fopen(argv[i], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
      perror(argv[i]);
      return 1;
    }
    const long size = ftell(f);
    rewind(f);
    char* text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
      perror(argv[i]);
      return 1;
    }
    text[size] = '\0';
    fclose(f);
    PgQueryParseResult result = pg_query_parse(text);
    if (result.error != NULL) {
      fprintf(stderr, "%s: %s\n", argv[i], result.error->message);
      return 1;
    }
    pg_query_free_parse_result(result);
    free(text);
  }
  return 0;
}
