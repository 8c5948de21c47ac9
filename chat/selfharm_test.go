package chat

import "testing"

// Thoughts of self-harm come in many wordings; each must get the urgent
// message, and questions merely near those words must not.
func TestTriageSelfHarmWordings(t *testing.T) {
	r, err := loadRules("")
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]Kind{
		"I feel like ending it all, there is no point anymore": KindEmergency,
		"I just want to end it all":                            KindEmergency,
		"I can't go on like this":                              KindEmergency,
		"I don't want to be here anymore":                      KindEmergency,
		"I can't take it anymore":                              KindEmergency,
		"sometimes I wish I was dead":                          KindEmergency,
		"I keep thinking about ending my life":                 KindEmergency,
		"There is no point in living after this diagnosis":     KindEmergency,
		"I've had enough since the transplant. I've been saving up my tablets and I'm going to take them all tonight.": KindEmergency,
		"im gonna take all my pills tonight":                        KindEmergency,
		"I've been stockpiling my painkillers":                      KindEmergency,
		"I am thinking about overdosing":                            KindEmergency,
		"Can I take all my tablets at once in the morning?":         KindReferral,
		"What happens if someone takes an overdose of tocilizumab?": "",
		"Is there any point in a second transplant?":                "",
		"How does the treatment end?":                               "",
		"What happens at the end of CAR-T therapy?":                 "",
	} {
		if got := triageKind(r, q); got != want {
			t.Errorf("triage(%q) = %q, want %q", q, got, want)
		}
	}
}
