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
		// misspelt, or in slang
		"im thinking of sucide":                                                     KindEmergency,
		"i want to kil myself":                                                      KindEmergency,
		"i dont want to live no more":                                               KindEmergency,
		"i want to end my lfe":                                                      KindEmergency,
		"i might as well just top myself":                                           KindEmergency,
		"i feel like i should just disapear forever":                                KindEmergency,
		"my son said he wants to unalive himself":                                   KindEmergency,
		"I'm having suicidal thougths":                                              KindEmergency,
		"cant take this anymore want it over":                                       KindEmergency,
		"i want to die tbh":                                                         KindEmergency,
		"how long do the livng cells last after the infusion?":                      "",
		"what is the sucess rate of car t?":                                         "",
		"do the cells dye after a while?":                                           "",
		"i cant do this anymore, i just want it all to stop":                        KindEmergency,
		"honestly everyone would be better off without me":                          KindEmergency,
		"I've been thinking about ending things":                                    KindEmergency,
		"i don't see the point in carrying on with treatment or anything":           KindEmergency,
		"I want to go to sleep and never wake up":                                   KindEmergency,
		"my husband said he's going to kill himself if the CAR-T fails":             KindEmergency,
		"I've been cutting myself again":                                            KindEmergency,
		"I have a bottle of pills and I'm thinking of taking them all":              KindEmergency,
		"what's the point of living like this":                                      KindEmergency,
		"I feel like disappearing forever":                                          KindEmergency,
		"i keep thinking about jumping off the bridge near the hospital":            KindEmergency,
		"my daughter is talking about suicide":                                      KindEmergency,
		"I'm done fighting, I want to die":                                          KindEmergency,
		"nobody would care if I was gone":                                           KindEmergency,
		"I'm planning to end my life this weekend":                                  KindEmergency,
		"some days I think my family would be better off if I wasn't here":          KindEmergency,
		"I've started hurting myself to cope":                                       KindEmergency,
		"i wish i could just fall asleep and not wake up":                           KindEmergency,
		"I'm saving up my sleeping tablets":                                         KindEmergency,
		"there is no point going on anymore":                                        KindEmergency,
		"he keeps saying he wants to end it":                                        KindEmergency,
		"I just want all of this to be over for good":                               KindEmergency,
		"I've written goodbye letters to my kids":                                   KindEmergency,
		"I'm going to overdose tonight":                                             KindEmergency,
		"I've thought about driving my car into a wall":                             KindEmergency,
		"my mum says she wants to die rather than have another transplant":          KindEmergency,
		"I don't want to be alive anymore":                                          KindEmergency,
		"I feel like ending my life":                                                KindEmergency,
		"what's even the point anymore, I give up on everything":                    KindEmergency,
		"thinking about taking all my morphine at once":                             KindEmergency,
		"Can CAR-T kill cancer cells?":                                              "",
		"Is graft versus host disease deadly?":                                      "",
		"I'm dying to know how CAR-T works":                                         "",
		"What is the death rate of stem cell transplant?":                           "",
		"My cells were killed by the chemo, is that normal?":                        "",
		"Will the conditioning chemo kill my immune system?":                        "",
		"Is it true that some people die from CRS?":                                 "",
		"I give up trying to understand the leaflet, can you explain CAR-T simply?": "",
		"What happens if the transplant fails?":                                     "",
		"My grandad died of leukaemia years ago, is it genetic?":                    "",
		"How does CAR-T end the life of cancer cells?":                              "",
		"Can GVHD take your life?":                                                  "",
	} {
		if got := triageKind(r, q); got != want {
			t.Errorf("triage(%q) = %q, want %q", q, got, want)
		}
	}
}
