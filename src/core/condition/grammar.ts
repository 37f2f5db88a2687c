import * as ohm from 'ohm-js';
import { CONDITION_GRAMMAR_RECIPE } from './grammar-recipe.js';

/**
 * The condition grammar of docs/ROADMAP_FORMAT.md, written for ohm (a PEG parser library).
 * Keywords are case-insensitive and never swallow the start of a metric name
 * (`orders` is a metric, not `or ders`). `m` is minutes and `M` is million, so case matters
 * in literal suffixes. Sizes (`500MB` decimal, `8GiB` binary) always end in B; a bare `B` is
 * billion, never bytes.
 */
export const CONDITION_GRAMMAR_SOURCE = String.raw`
Condition {
  Expr = Or
  Or = And (or And)*
  And = Unary (and Unary)*
  Unary = not Unary                 -- not
        | Compare
        | Sum                       -- operand
        | "(" Expr ")"              -- paren
  Compare = Sum compareOp Sum
  Sum = Sum "+" Term                -- add
      | Sum "-" Term                -- sub
      | Term
  Term = Term "*" Factor            -- mul
       | Term "/" Factor            -- div
       | Factor
  Factor = "(" Sum ")"              -- paren
         | "-" Factor               -- neg
         | Call
         | number
         | yes
         | no
         | metric
  Call (an aggregate such as avg of a metric over 7d) = aggregate "(" metric ("," duration)? ")"

  compareOp (a comparison such as >=) = ">=" | "<=" | "==" | "!=" | ">" | "<"
  aggregate = (caseInsensitive<"last"> | caseInsensitive<"avg"> | caseInsensitive<"min"> | caseInsensitive<"max">
              | caseInsensitive<"sum"> | caseInsensitive<"count"> | caseInsensitive<"change">) ~identPart
  or = caseInsensitive<"or"> ~identPart
  and = caseInsensitive<"and"> ~identPart
  not = caseInsensitive<"not"> ~identPart
  yes = caseInsensitive<"yes"> ~identPart
  no = caseInsensitive<"no"> ~identPart
  keyword = or | and | not | yes | no
  metric (a metric name) = ~keyword identStart identPart*
  identStart = letter | "_"
  identPart (a letter, digit or _) = alnum | "_"

  number (a number) = "$"? digits fraction? multiplier? suffix? ~identPart
  digits = digit+ ("," digit digit digit)+  -- grouped
         | digit+                            -- plain
  fraction = "." digit+
  multiplier = ("k" | "K" | "M" | "B") ~(alnum)
  suffix = "%" | sizeUnit | durationUnit
  duration (a duration such as 7d) = digit+ fraction? durationUnit ~identPart
  durationUnit = "ms" | "s" | "m" | "h" | "d" | "w"
  sizeUnit = "KiB" | "MiB" | "GiB" | "TiB" | "PiB" | "kB" | "KB" | "MB" | "GB" | "TB" | "PB"
}
`;

/**
 * ohm's own recipe form of a grammar (what `toRecipe()` returns, and what the standalone
 * bundles of @ohm-js/cli are built from); index.d.ts declares neither function.
 */
const recipes = ohm as unknown as {
  makeRecipe(recipe: string): ohm.Grammar;
};

/**
 * The grammar of CONDITION_GRAMMAR_SOURCE, built from its recipe (grammar-recipe.ts, which
 * `npm run build` regenerates from the source; test/core/grammar-recipe.test.ts checks that they
 * agree). ohm builds it from the recipe in about a millisecond; from the source it took ~0.1 s
 * of every process's start, the CLI's included.
 */
export const conditionGrammar: ohm.Grammar = recipes.makeRecipe(CONDITION_GRAMMAR_RECIPE);
