package secret

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestSSMEndpointIsTheSDKs(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	base := aws.Config{Region: "ap-southeast-5", BaseEndpoint: aws.String("http://127.0.0.1:5000")}
	for _, c := range []struct {
		cfg  aws.Config
		env  map[string]string
		want string
	}{
		{aws.Config{Region: "ap-southeast-5"}, nil, "https://ssm.ap-southeast-5.amazonaws.com"},
		{aws.Config{Region: "cn-north-1"}, nil, "https://ssm.cn-north-1.amazonaws.com.cn"},
		{base, nil, "http://127.0.0.1:5000"},
		{base, map[string]string{"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:6000"}, "http://127.0.0.1:6000"},
		{base, map[string]string{"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:6000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "http://127.0.0.1:5000"},
		{aws.Config{}, nil, ""},
	} {
		if got := ssmEndpoint(c.cfg, env(c.env)); got != c.want {
			t.Errorf("%+v %v: %q, want %q", c.cfg.Region, c.env, got, c.want)
		}
	}
}
