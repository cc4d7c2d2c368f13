// Chevrotain checks the token definitions and the grammar (ambiguities, left recursion) as it
// builds the lexer and the parser, which was most of a command's startup. Tests and the
// compiled dist/ run those checks every time; the bundled CLI, made from the same grammar,
// skips them: esbuild.config.js defines NETSPEC_BUNDLED.
declare const NETSPEC_BUNDLED: boolean | undefined;

export const SKIP_GRAMMAR_CHECKS = typeof NETSPEC_BUNDLED !== 'undefined' && NETSPEC_BUNDLED;
