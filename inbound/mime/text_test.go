package mime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnflow(t *testing.T) {
	in := "This is a long \r\nparagraph that was \r\nwrapped.\r\n\r\n> Quoted text \r\n> goes on.\r\n>> Deeper \r\n>> too.\r\n From stuffed\r\n-- \r\nSig"
	require.Equal(t, "This is a long paragraph that was wrapped.\n\n> Quoted text goes on.\n>> Deeper too.\nFrom stuffed\n-- \nSig", unflow(in, false))
	require.Equal(t, "Joinedwords", unflow("Joined \nwords", true))
	require.Equal(t, "plain\ntext", unflow("plain\ntext", false))

	raw := "From: a@b.test\nContent-Type: text/plain; charset=utf-8; format=flowed\n\nThe status page \nis down.\n"
	m := parseString(t, raw, Options{})
	require.Equal(t, "The status page is down.\n", m.Text)
}
