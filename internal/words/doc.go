// Package words is the one place where cellchat turns text into words: the
// corpus loader, retrieval, the answer engine and the evaluation all need
// the same notion of a word, a stem, a stop word and a sentence, and copies
// of that code drift apart (a passage indexed one way and a question
// analysed another way stop matching without any test failing).
//
// The pieces, from raw text up:
//
//   - Normalize folds text for comparison: NFKC, lower case, straight
//     quotes, dashes as hyphens, single spaces.
//   - Fold is Normalize for text that is stored, not only compared: NFKC,
//     format characters dropped, straight quotes and dashes, case and
//     spacing kept (redaction matches on it).
//   - Tokens splits text into words with their stems and byte offsets in
//     the original text, joining the spellings patients use for one term
//     ("CAR-T", "CAR T", "CART"; "T cells"; "ex vivo").
//   - Stem is the English Snowball stemmer with this domain's exceptions
//     and irregular word forms (wordforms.yaml).
//   - IsStop is the one stop list; ContentStems is what is left of a text
//     once stop words are gone. IsFurniture is a second, explicit set of
//     question words ("type", "best") that only the answer engine drops.
//     IsVague lists general words ("far", "ago", "moment") that seldom name
//     what a question is about; NamesAction says, from WordNet, whether a
//     word usually names an action or manner ("prefer", "fully") rather
//     than a thing ("hair", "hurt").
//   - Sentences cuts a passage into verbatim sentence spans.
//   - EditDistance, WithinOneEdit and Vocabulary find the word a
//     misspelling meant.
//
// Everything here is safe for concurrent use and deterministic.
package words
