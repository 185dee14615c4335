"""Questions to tutors: the intern's side (intern), the staff's (staff), the cards both see,
reading what is written into a ticket (writing), and escalation to the coordinators."""
