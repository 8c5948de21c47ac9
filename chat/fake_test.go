package chat

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
)

// fixtureChunks are passages copied verbatim from corpus/*.txt, so unit
// tests run on real wording without the retrieval package.
var fixtureChunks = []corpus.Chunk{
	{ID: "curio-what-is-car-t#1", DocID: "curio-what-is-car-t", Title: "What is CAR-T therapy", URL: "https://example.org/curio", Section: "What is CAR-T therapy",
		Text: "CAR-T therapy, also known as chimeric antigen receptor T-cell therapy, is an innovative form of immunotherapy used to treat certain types of cancer. It involves modifying a patient's own immune cells, specifically T cells, to recognize and attack cancer cells in the body.\n\nHere's how CAR-T therapy works: Collection: First, T cells are collected from the patient's blood through a process called leukapheresis."},
	{ID: "curio-what-is-car-t#2", DocID: "curio-what-is-car-t", Title: "What is CAR-T therapy", URL: "https://example.org/curio", Section: "What is CAR-T therapy",
		Text: "CAR-T therapy has shown remarkable success in treating certain types of blood cancers, such as acute lymphoblastic leukemia (ALL) and certain types of non-Hodgkin lymphoma. It has provided hope for patients who have not responded to traditional treatments or have relapsed after previous therapies.\n\nIt is important to note that CAR-T therapy is a complex and highly specialized treatment that requires careful patient selection and management. It can have significant side effects, including cytokine release syndrome (CRS) and neurologic toxicities. However, healthcare providers are experienced in managing these potential complications."},
	{ID: "asgct#risks", DocID: "asgct-cell-therapy-basics", Title: "Cell Therapy Basics", URL: "https://example.org/asgct", Section: "Risks",
		Text: "Organ toxicities. During CAR-T therapy, immune system cells become stimulated and release chemical messengers called cytokines. Too many cytokines can result in fever, trouble breathing and can be life-threatening. In the case of cytokine release syndrome, individuals may require anti-cytokine therapy."},
	{ID: "asgct#gvhd", DocID: "asgct-cell-therapy-basics", Title: "Cell Therapy Basics", URL: "https://example.org/asgct", Section: "Risks",
		Text: "Immune responses. Graft-versus-host disease (GVHD), a syndrome that arises when immune cells present in the, transplanted HSC (the graft) recognize the recipient/host’s cells/tissues as foreign and mount an immune response that leads to the destruction of multiple host tissues."},
	{ID: "asgct#auto", DocID: "asgct-cell-therapy-basics", Title: "Cell Therapy Basics", URL: "https://example.org/asgct", Section: "How Cell Therapy Works",
		Text: "The source of the cells used for cell therapy come from one of two places: Autologous cell therapy means the cells are collected from the individual's own body. The cells are removed, modified outside the body, then the processed cells are returned to the body. Using the person's own cells makes it less likely to cause immune responses compared to the use of donor cells but will not always be a viable option. A helpful tip to remember is that ‘auto’ means self."},
	{ID: "asgct#allo", DocID: "asgct-cell-therapy-basics", Title: "Cell Therapy Basics", URL: "https://example.org/asgct", Section: "How Cell Therapy Works",
		Text: "Allogeneic cell therapy means the cells used are from someone other than the patient, such as a healthy and compatible (or matched) donor. A helpful tip to remember this is that ‘allo’ means other.\n\nPrior to receiving a cell therapy, an individual may need to follow a pretreatment called conditioning to decrease the immune system's activity for better odds of a successful treatment. Conditioning is often a chemotherapy, which can be extremely hard on the body."},
	{ID: "dk#auto-allo", DocID: "dk-cell-therapy-atmp", Title: "Cell therapy", Section: "Cell therapy: when the solution sits in the cells",
		Text: "So the special thing is that it is the cells’ own function that is the actual treatment, and that is why cell therapy differs from tissue therapy, where the cells are primarily used to rebuild structure, and from gene therapy, where the cells are genetically modified. If a cell product is also genetically altered (such as CAR-T), it is classified as gene therapy, not cell therapy.\n\nCell therapy can be autologous or allogeneic: In autologous treatment, you use the patient’s own cells.\n\nIn allogeneic treatment, the cells come from a donor."},
	{ID: "hct#stem", DocID: "hct-cellular-therapy-overview", Title: "HCT and cellular therapy", Section: "Stem cells",
		Text: "HCT is a type of stem cell transplantation that involves the infusion of hematopoietic stem cells, which are cells that give rise to all of the different types of blood cells in the body. These stem cells can be harvested from the bone marrow, peripheral blood, or umbilical cord blood, and are then transplanted into a patient who has received high-dose chemotherapy or radiation treatment to destroy their diseased bone marrow or cancer cells. The transplanted stem cells then begin to produce new, healthy blood cells and restore the function of the immune system."},
	{ID: "explainer#risk", DocID: "cellular-therapies-explainer", Title: "Cellular therapies", Section: "Risk",
		Text: "Despite their potential, cellular therapies carry inherent risks, including immune rejection in allogeneic transplants, infection, and potential for off-target effects or uncontrolled cell growth. Specific risks like cytokine release syndrome or neurotoxicity are associated with immunotherapies, necessitating careful patient selection, vigilant monitoring, and expert clinical management to mitigate adverse events."},
	{ID: "dk#safety", DocID: "dk-cell-therapy-atmp", Title: "Cell therapy", Section: "Safety and control",
		Text: "Cell therapy also requires special medical attention. When living cells are given as treatment, they can affect the body significantly. Therefore, cell-based treatments are provided in specialized departments, where the patient can be monitored closely. One example is CAR-T, which requires monitoring to see whether there is a severe breakdown of the cancer cells that can affect the body, or whether the CAR-T treatment causes neurological side effects."},
}

// fakeSearcher ranks fixture chunks by the summed weight of the query's
// stems they contain: a small stand-in for the retrieval index.
type fakeSearcher struct {
	mu      sync.Mutex
	chunks  []corpus.Chunk
	stats   *termStats
	err     error
	queries []string
}

func newFakeSearcher() *fakeSearcher {
	return &fakeSearcher{chunks: fixtureChunks, stats: newTermStats(fixtureChunks)}
}

func (f *fakeSearcher) Search(ctx context.Context, query string, k int) ([]retrieval.Passage, error) {
	f.mu.Lock()
	f.queries = append(f.queries, query)
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q := contentStems(query)
	var out []retrieval.Passage
	for _, c := range f.chunks {
		stems := stemSet(c.Section + " " + c.Text)
		score := 0.0
		for _, st := range q {
			if stems[st] {
				score += f.stats.idf(st)
			}
		}
		if score > 0 {
			out = append(out, retrieval.Passage{Chunk: c, Score: score, Lexical: score})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

var errSearchDown = errors.New("index unavailable")

func toPassages(chunks []corpus.Chunk) []retrieval.Passage {
	out := make([]retrieval.Passage, len(chunks))
	for i, c := range chunks {
		out[i] = retrieval.Passage{Chunk: c, Score: 1 / float64(i+1)}
	}
	return out
}
